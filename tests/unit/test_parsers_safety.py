"""Hostile and broken input: XML attacks, wrong encodings, empty and oversized payloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import PARSERS, MessageContext, parse_message
from schemas.records import Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CTX = MessageContext(source="hostile")

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ie:CC315A xmlns:ie="http://ics.dgtaxud.ec/CC315A"><HEAHEA><RefNumHEA4>&lol3;</RefNumHEA4></HEAHEA></ie:CC315A>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ns2:Waybill xmlns="iata:datamodel:3" xmlns:ns2="iata:waybill:1"><ns2:BusinessHeaderDocument><ID>&xxe;</ID>
</ns2:BusinessHeaderDocument></ns2:Waybill>
"""
XXE_NETWORK = b"""<?xml version="1.0"?><!DOCTYPE md SYSTEM "http://127.0.0.1:9/evil.dtd">
<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"/>"""


def reject(payload: bytes, fmt: str = "auto") -> Rejection:
    records = parse_message(payload, CTX, fmt)
    assert len(records) == 1 and isinstance(records[0], Rejection), records
    return records[0]


@pytest.mark.parametrize(
    ("payload", "fmt"),
    [(BILLION_LAUGHS, "auto"), (XXE, "auto"), (XXE_NETWORK, "wco"), (BILLION_LAUGHS, "cargo-xml")],
)
def test_doctype_and_entities_are_refused(payload: bytes, fmt: str) -> None:
    rejection = reject(payload, fmt)
    assert rejection.reason == "xml.forbidden_entity"
    assert "passwd" not in rejection.detail


def test_malformed_and_deep_xml() -> None:
    sample = (FEEDS / "wco_dms" / "TT_EX001a.xml").read_bytes()
    assert reject(sample[: len(sample) // 2]).reason == "xml.malformed"
    deep = b'<ns2:Waybill xmlns:ns2="iata:waybill:1">' + b"<a>" * 5000 + b"</a>" * 5000 + b"</ns2:Waybill>"
    assert reject(deep).reason == "xml.malformed"


@pytest.mark.parametrize(
    "name", ["ens/315AllOptional.xml", "cargo_xml/xfwbExample.xml", "paxlst/test1.edi", "pnrgov/pnr1.edi"]
)
def test_utf16_is_refused(name: str) -> None:
    text = (FEEDS / name).read_text("utf-8")
    for fmt in ("auto", {"ens": "ens", "car": "cargo-xml", "pax": "paxlst", "pnr": "pnrgov"}[name[:3]]):
        assert reject(text.encode("utf-16"), fmt).reason in ("encoding.invalid", "format.unknown")
    fmt = {"ens": "ens", "car": "cargo-xml", "pax": "paxlst", "pnr": "pnrgov"}[name[:3]]
    assert reject(text.encode("utf-16"), fmt).reason == "encoding.invalid"


def test_latin1_xml_is_refused_and_latin1_edifact_read_with_a_warning_unless_declared() -> None:
    xml = (FEEDS / "wco_dms" / "TT_EX001a.xml").read_text("utf-8").replace("Packings", "Pàckings")
    assert reject(xml.encode("latin-1", "replace")).reason == "encoding.invalid"
    pax = (FEEDS / "paxlst" / "test1.edi").read_text("utf-8").replace("Steur", "Stéur")
    # UNOA promises ASCII: one odd byte is read in the likeliest code page, with a warning, not a rejection.
    records = parse_message(pax.encode("latin-1"), CTX)
    assert any(getattr(r, "surname", None) == "Stéur" for r in records)
    assert all(any(w.code == "encoding.fallback" for w in r.parse_warnings) for r in records)
    unoc = pax.replace("UNB+UNOA:4", "UNB+UNOC:4").encode("latin-1")
    records = parse_message(unoc, CTX)
    assert any(getattr(r, "surname", None) == "Stéur" for r in records)
    assert not any(w.code.startswith("encoding.") for r in records for w in r.parse_warnings)


@pytest.mark.parametrize("payload", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_payloads(payload: bytes) -> None:
    assert reject(payload).reason == "payload.empty"


@pytest.mark.parametrize("fmt", ["auto", *sorted(PARSERS)])
def test_oversized_payloads(fmt: str) -> None:
    payload = (FEEDS / "pnrgov" / "bigMessagePnr.edi").read_bytes()
    assert len(payload) > 1000
    records = parse_message(payload, CTX, fmt, max_bytes=1000)
    assert len(records) == 1 and isinstance(records[0], Rejection)
    assert records[0].reason == "payload.too_large" and "limit of 1000" in (records[0].detail or "")


def test_size_limit_comes_from_the_caller() -> None:
    payload = (FEEDS / "pnrgov" / "bigMessagePnr.edi").read_bytes()
    assert all(r.record_type != "rejection" for r in parse_message(payload, CTX, max_bytes=len(payload)))


def test_each_parser_refuses_empty_input_itself() -> None:
    from feeds.base import ParseError

    for module in PARSERS.values():
        if module.FORMAT == "canonical-json":
            continue
        with pytest.raises(ParseError) as caught:
            module.parse(b"  \n", CTX)
        assert caught.value.reason == "payload.empty"


def test_unknown_content_and_unknown_format() -> None:
    assert reject(b"hello world").reason == "format.unknown"
    assert reject(b"UNB+UNOA:4+X+Y+240101:1200+1'", "no-such-format").reason == "format.unknown"


def test_nul_bytes_are_refused() -> None:
    payload = (FEEDS / "cargo_imp" / "fwb17.txt").read_bytes().replace(b"SHP", b"S\x00P", 1)
    assert reject(payload).reason == "encoding.invalid"
