"""Off-spec corpus: how many damaged variants of the bundled samples still yield their records.

Every kind of damage in ``scenario.off_spec`` (Type-B envelopes, log prefixes, a cp1252 byte in a UNOA
name, a final segment without terminator, text after UNZ, a junk fragment, UNT 9999, a terminator lost at a
line break, a damaged UNA, untagged FWB parties, a SOAP-wrapped ENS) is applied to every sample it fits,
at three seeded positions. A variant counts as *kept* when it parses to the same records as the message it
was made from (every field but the message id and the warnings), *kept + warned* when it also carries the
damage's warning, and *wrong* when it yields different records without a dead letter (the failure that
must never happen).

Samples are split: ``dev`` are those the tolerance rules were developed and unit-tested on, ``test`` the
others (PNRGOV messages the rules were not written against). Report both.

    python benchmarks/off_spec_corpus.py                        # write to a temp dir, evaluate with this code
    python benchmarks/off_spec_corpus.py --write DIR            # only write the corpus (needs this repository)
    python benchmarks/off_spec_corpus.py --evaluate DIR         # evaluate a written corpus with the importable
                                                                # ``feeds`` (e.g. an older checkout: "before")
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
POSITIONS = (0, 7919, 104729)  # three seeded places for the damage, where it has a choice
UNREADABLE = {"danglingMetaCharacter.edi"}  # genuinely ambiguous (a hyphen as separator): no clean reference
DEV = {
    "paxlst/airline2.edi",
    "paxlst/apis_message.edi",
    "paxlst/test1.edi",
    "pnrgov/2_pnrs_basic.edi",
    "pnrgov/codeshare.edi",
    "pnrgov/pnr1.edi",
    "pnrgov/pnr2.edi",
    "pnrgov/pnrAddressPhoneCTCM.edi",
    "pnrgov/pnrBadFormat.edi",
    "pnrgov/pnrMessagePg75.edi",
    "pnrgov/pnrPhoneCTCM.edi",
    "pnrgov/pnrSeatFormats.edi",
    "pnrgov/pnrWithDoco.edi",
    "cargo_imp/ffm8.txt",
    "cargo_imp/fwb17.txt",
    "ens/315AllOptional.json",
    "ens/315AllOptional.xml",
    "ens/CC315A-schemaValidSample-v11-2.xml",
}


def write_corpus(out: Path) -> int:
    from scenario.off_spec import DAMAGE_BY_FOLDER

    manifest: list[dict[str, Any]] = []
    for folder, kinds in DAMAGE_BY_FOLDER.items():
        for sample in sorted((FEEDS / folder).iterdir()):
            if not sample.is_file() or sample.name.upper().startswith(("LICENSE", "README")):
                continue
            if sample.name in UNREADABLE:
                continue
            name = f"{folder}/{sample.name}"
            for kind, damage in kinds.items():
                seen: set[bytes] = set()
                for position in POSITIONS:
                    variant = damage(sample.read_bytes(), position)
                    if variant is None or variant.damaged in seen:
                        continue
                    seen.add(variant.damaged)
                    stem = f"{folder}__{sample.name}__{kind}__{position}"
                    (out / f"{stem}.damaged").write_bytes(variant.damaged)
                    (out / f"{stem}.reference").write_bytes(variant.reference)
                    manifest.append(
                        {
                            "stem": stem,
                            "sample": name,
                            "split": "dev" if name in DEV else "test",
                            "damage": kind,
                            "warning": variant.warning,
                            "rejection_allowed": variant.rejection_allowed,
                        }
                    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return len(manifest)


def evaluate(corpus: Path) -> dict[tuple[str, str], Counter[str]]:
    from feeds import MessageContext, parse_message

    context = MessageContext(source="off-spec")
    results: dict[tuple[str, str], Counter[str]] = {}

    def comparable(records: list[Any]) -> list[dict[str, Any]]:
        return [r.model_dump(exclude={"message_id", "parse_warnings"}) for r in records]

    for entry in json.loads((corpus / "manifest.json").read_text()):
        counts = results.setdefault((entry["split"], entry["damage"]), Counter())
        reference = parse_message((corpus / f"{entry['stem']}.reference").read_bytes(), context)
        damaged = parse_message((corpus / f"{entry['stem']}.damaged").read_bytes(), context)
        counts["variants"] += 1
        if comparable(damaged) == comparable(reference):
            counts["kept"] += 1
            codes = [{w.code for w in getattr(r, "parse_warnings", [])} for r in damaged]
            if entry["warning"] is None or all(entry["warning"] in c for c in codes):
                counts["kept + warned"] += 1
        elif any(r.record_type == "rejection" for r in damaged):
            counts["rejected"] += 1
        else:
            counts["wrong"] += 1
    return results


def print_results(results: dict[tuple[str, str], Counter[str]]) -> None:
    print("| split | damage | variants | kept | kept + warned | rejected | wrong |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for split in ("dev", "test"):
        total: Counter[str] = Counter()
        for (row_split, damage), counts in sorted(results.items()):
            if row_split != split:
                continue
            total.update(counts)
            cells = " | ".join(str(counts[k]) for k in ("variants", "kept", "kept + warned", "rejected", "wrong"))
            print(f"| {split} | {damage} | {cells} |")
        cells = " | ".join(f"**{total[k]}**" for k in ("variants", "kept", "kept + warned", "rejected", "wrong"))
        print(f"| {split} | **all** | {cells} |")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--write", type=Path, help="write the corpus to this directory and stop")
    arguments.add_argument("--evaluate", type=Path, help="evaluate a written corpus with the importable parsers")
    options = arguments.parse_args()
    if options.write:
        options.write.mkdir(parents=True, exist_ok=True)
        print(f"{write_corpus(options.write)} variants written to {options.write}")
        return
    if options.evaluate:
        print_results(evaluate(options.evaluate))
        return
    with tempfile.TemporaryDirectory() as directory:
        corpus = Path(directory)
        print(f"{write_corpus(corpus)} variants")
        print_results(evaluate(corpus))


if __name__ == "__main__":
    main()
