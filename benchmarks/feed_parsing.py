"""Feed parsing throughput per format, against the bare tokenisers in the same run.

For each format the real sample messages (``data/feeds``) are parsed repeatedly for about two seconds
with ``feeds.parse_message`` (the full path: sniffing, safety checks, records with ids).
Baselines, measured the same way on the same files:

* EDIFACT (PAXLST, PNRGOV): pydifact's tokenizer alone (UNA service characters, release characters),
  which builds no segments and no records (the Sekisho path scans segments with its own scanner,
  checked equal to pydifact's in the tests);
* XML (Cargo-XML, ENS, WCO): a bare ``lxml.etree.fromstring`` of the document.

Run: ``.venv/bin/python benchmarks/feed_parsing.py [--seconds 2]``
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.tokenizer import Tokenizer

from feeds import MessageContext, parse_message
from feeds.base import ParseError
from feeds.edifact_syntax import (
    RawSegment,
    pydifact_segments,
    read_segments,
    scan_segments,
    service_characters,
)

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
FOLDERS = {
    "paxlst": "paxlst",
    "pnrgov": "pnrgov",
    "cargo-imp": "cargo_imp",
    "cargo-xml": "cargo_xml",
    "ens": "ens",
    "wco": "wco_dms",
}
CTX = MessageContext(source="benchmark")


def samples(folder: str) -> list[bytes]:
    return [
        p.read_bytes()
        for p in sorted((FEEDS / folder).iterdir())
        if p.is_file() and not p.name.upper().startswith(("LICENSE", "README"))
    ]


def pydifact_tokens(payload: bytes) -> int:
    text = payload.decode("utf-8", "replace").lstrip()
    characters = None
    if text.startswith("UNA"):
        characters, text = Characters.from_str(text[:9]), text[9:]
    try:
        return sum(1 for _ in Tokenizer().get_tokens(text.lstrip(), characters))
    except EDISyntaxError:
        return 0


def edifact_segment_count(payload: bytes, scanner: Callable[[str, Characters], list[RawSegment]]) -> int:
    text = payload.decode("utf-8", "replace").lstrip()
    try:
        characters, body = service_characters(text)
        return len(read_segments(body.lstrip(), characters, scanner))
    except ParseError:
        return 0


def lxml_parse(payload: bytes) -> int:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return len(etree.fromstring(payload, parser))
    except etree.XMLSyntaxError:
        return 0


BASELINES: dict[str, tuple[str, Callable[[bytes], int]]] = {
    "paxlst": ("pydifact tokenizer", pydifact_tokens),
    "pnrgov": ("pydifact tokenizer", pydifact_tokens),
    "cargo-xml": ("lxml fromstring", lxml_parse),
    "ens": ("lxml fromstring", lxml_parse),
    "wco": ("lxml fromstring", lxml_parse),
}


def measure(payloads: list[bytes], work: Callable[[bytes], int], seconds: float) -> tuple[float, float]:
    """(messages per CPU second, items per CPU second) over whole passes through ``payloads``.

    CPU time of this process, not wall time: the machines this runs on are shared, and other
    processes' load would otherwise land on whichever path happened to be measured at the time.
    """
    messages = items = 0
    started = time.process_time()
    while True:
        for payload in payloads:
            items += work(payload)
        messages += len(payloads)
        elapsed = time.process_time() - started
        if elapsed >= seconds:
            return messages / elapsed, items / elapsed


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--seconds", type=float, default=2.0, help="measuring time per format and path")
    options = arguments.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {options.seconds:g} CPU s per measurement")
    print()
    print("| format | files | Sekisho msg/s | Sekisho records/s | baseline | baseline msg/s | Sekisho / baseline |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for fmt, folder in FOLDERS.items():
        payloads = samples(folder)

        def sekisho(payload: bytes, fmt: str = fmt) -> int:
            return len(parse_message(payload, CTX, fmt))

        rate, records = measure(payloads, sekisho, options.seconds)
        baseline = BASELINES.get(fmt)
        if baseline is None:
            row = f"| {fmt} | {len(payloads)} | {rate:,.0f} | {records:,.0f} | — | — | — |"
        else:
            name, work = baseline
            base_rate, _ = measure(payloads, work, options.seconds)
            row = (
                f"| {fmt} | {len(payloads)} | {rate:,.0f} | {records:,.0f} | {name} | {base_rate:,.0f} "
                f"| {rate / base_rate:.2f}x |"
            )
        print(row, flush=True)
    print()
    print("EDIFACT segment scanning alone (envelope checked, no records):")
    print()
    print("| format | Sekisho scanner msg/s | pydifact tokenizer + segment assembly msg/s | ratio |")
    print("|---|---:|---:|---:|")
    for fmt in ("paxlst", "pnrgov"):
        payloads = samples(FOLDERS[fmt])
        fast, _ = measure(payloads, lambda p: edifact_segment_count(p, scan_segments), options.seconds)
        reference, _ = measure(payloads, lambda p: edifact_segment_count(p, pydifact_segments), options.seconds)
        print(f"| {fmt} | {fast:,.0f} | {reference:,.0f} | {fast / reference:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
