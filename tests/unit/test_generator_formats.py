"""Generated messages are valid wire formats that the project's parsers read back faithfully."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree
from pydifact.segmentcollection import Interchange
from typer.testing import CliRunner

from feeds import MessageContext, parse_message
from scenario import Message, WorldSpec, build_world, edifact, message_count, render
from scenario.world import World
from schemas.records import Booking, Consignment, Declaration, Party, Passenger, Record, Rejection
from sekisho.cli import app

DAY = date(2026, 11, 25)
pytestmark = pytest.mark.filterwarnings("ignore::pydifact.exceptions.MissingImplementationWarning",
                                        "ignore::SyntaxWarning")


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(WorldSpec(travellers=200, consignments=60, declarations=40, seed=9, day=DAY))


@pytest.fixture(scope="module")
def messages(world: World) -> list[Message]:
    return list(render(world))


@pytest.fixture(scope="module")
def parsed(messages: list[Message]) -> dict[str, list[Record]]:
    return {m.path: parse_message(m.payload, MessageContext(source=m.path)) for m in messages}


def _segments(payload: bytes) -> list[tuple[str, list[object]]]:
    interchange = Interchange.from_str(payload.decode("ascii"))
    header = interchange.get_header_segment()
    footer = interchange.get_footer_segment()
    return [(s.tag, list(s.elements)) for s in [header, *interchange.segments, footer]]


def test_edifact_envelopes_have_correct_counts(messages: list[Message]) -> None:
    edifact = [m for m in messages if m.format in ("paxlst", "pnrgov")]
    assert edifact
    for message in edifact:
        assert message.payload.startswith(b"UNA:+.? '\nUNB+")
        segments = _segments(message.payload)
        tags = [tag for tag, _ in segments]
        unh, unt = tags.index("UNH"), tags.index("UNT")
        assert int(str(segments[unt][1][0])) == unt - unh + 1, message.path
        assert segments[unt][1][1] == segments[unh][1][0]  # UNT names its UNH
        unb, unz = segments[0], segments[-1]
        assert unb[0] == "UNB" and unz[0] == "UNZ" and unz[1] == ["1", unb[1][4]]
        if "UNG" in tags:
            assert segments[tags.index("UNE")][1] == ["1", segments[tags.index("UNG")][1][4]]


def test_release_characters_are_escaped(messages: list[Message]) -> None:
    pnr = next(m for m in messages if m.format == "pnrgov" and b"QX7P2M" in m.payload)
    assert b"CTCM ?+85291234567'" in pnr.payload
    assert b"CTCE D.VOLKOV//FASTMAIL-EXAMPLE.NET'" in pnr.payload
    # the escaped plus survives a round trip through an independent EDIFACT reader
    texts = [str(e) for tag, elements in _segments(pnr.payload) if tag == "IFT" for e in elements]
    assert "CTCM +85291234567" in texts


def test_paxlst_segment_order_follows_d05b(messages: list[Message]) -> None:
    paxlst = next(m for m in messages if m.format == "paxlst")
    tags = [tag for tag, _ in _segments(paxlst.payload)]
    assert tags[:4] == ["UNB", "UNG", "UNH", "BGM"]
    first = tags.index("NAD", tags.index("TDT"))
    assert tags[first:first + 10] == ["NAD", "ATT", "DTM", "LOC", "LOC", "NAT", "RFF", "DOC", "DTM", "LOC"]
    assert tags[-4:] == ["CNT", "UNT", "UNE", "UNZ"]


@pytest.mark.parametrize(("fmt", "namespace", "root"), [
    ("cargo-xml-xfwb", "iata:waybill:1", "Waybill"),
    ("ens-cc315a", "http://ics.dgtaxud.ec/CC315A", "CC315A"),
    ("wco-dms", "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2", "MetaData"),
])
def test_xml_messages_are_well_formed_with_their_namespaces(messages: list[Message], fmt: str, namespace: str,
                                                            root: str) -> None:
    chosen = [m for m in messages if m.format == fmt]
    assert chosen
    for message in chosen:
        element = etree.fromstring(message.payload)
        assert etree.QName(element).namespace == namespace and etree.QName(element).localname == root
    if fmt == "wco-dms":
        declaration = etree.fromstring(chosen[0].payload)[5]
        assert etree.QName(declaration).text == "{urn:wco:datamodel:WCO:DEC-DMS:2}Declaration"


def test_every_message_parses_without_rejection_and_with_its_counts(messages: list[Message],
                                                                    parsed: dict[str, list[Record]]) -> None:
    for message in messages:
        records = parsed[message.path]
        rejected = [r for r in records if isinstance(r, Rejection)]
        assert not rejected, (message.path, rejected[0].reason, rejected[0].detail)
        counts = message.counts
        if "passengers" in counts:
            assert sum(isinstance(r, Passenger) for r in records) == counts["passengers"], message.path
        if "bookings" in counts:
            assert sum(isinstance(r, Booking) for r in records) == counts["bookings"], message.path
        if "consignments" in counts:
            assert sum(isinstance(r, Consignment) for r in records) == counts["consignments"], message.path
        if "declarations" in counts:
            assert sum(isinstance(r, Declaration) for r in records) == counts["declarations"], message.path


def test_parsed_records_carry_what_was_generated(world: World, parsed: dict[str, list[Record]]) -> None:
    records = [r for rs in parsed.values() for r in rs]
    booking = next(r for r in records if isinstance(r, Booking) and r.record_locator == "QX7P2M")
    assert booking.form_of_payment == "CA" and booking.one_way is True
    assert booking.route == ["HKG", "NRT"]
    assert "+85291234567" in booking.phones and "d.volkov@fastmail-example.net" in booking.emails
    flight = world.flights["CX500/" + (DAY.isoformat())]
    assert booking.created_at is not None
    assert flight.departure - booking.created_at == timedelta(hours=30)
    volkov = [r for r in records if isinstance(r, Passenger) and r.surname == "VOLKOV"]
    assert {p.source_format for p in volkov} == {"paxlst", "pnrgov"}
    assert all(p.documents[0].number == "753912468" for p in volkov)
    fwb = next(r for r in records if isinstance(r, Consignment) and r.transport_document == "160-12345675"
               and r.declared_value is not None)
    assert (fwb.declared_value, fwb.total_weight_kg, fwb.goods[0].hs_code) == (950.0, 1840.0, "845891")
    consignee = next(r for r in records if isinstance(r, Party) and r.id == fwb.consignee_id)
    assert consignee.name == "PACIFIC RIM PRECISION MACHINERY LTD"
    assert [p.lstrip("+") for p in consignee.phones] == ["85291234567"]
    declaration = next(r for r in records if isinstance(r, Declaration) and r.transport_document == "160-12345675")
    assert declaration.importer_name == "PACIFIC RIM PRECISION MACHINERY LTD"
    assert declaration.invoice_value == 950.0


def test_cli_writes_feeds_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), "--travellers", "30", "--consignments", "10",
                                      "--declarations", "5", "--seed", "2", "--date", "2026-11-25", "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 2 and manifest["date"] == "2026-11-25"
    assert manifest["world"]["travellers"] == 30 and manifest["world"]["declarations"] == 5
    files = {entry["path"] for entry in manifest["files"]}
    assert files == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert any(p["pattern"] == "scenario" and "QX7P2M" in p["entities"]["record_locators"]
               for p in manifest["planted"])


def test_cli_rejects_a_bad_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--date", "25/11/2026", "-q"])
    assert result.exit_code == 2


def test_apostrophes_in_names_are_released_and_read_back(world: World) -> None:
    flight = next(f for f in world.arrivals() if f.designator == "JL26")
    person = replace(world.people["p-chen"], key="p-obrien", surname="O'BRIEN", given_names="SEAN")
    payload = edifact.paxlst(world, flight, [person], {"p-obrien": "ABC123"}, "1").encode("ascii")
    assert b"NAD+FL+++O?'BRIEN:SEAN'" in payload
    records = parse_message(payload, MessageContext(source="test"))
    passenger = next(r for r in records if isinstance(r, Passenger))
    assert passenger.surname == "O'BRIEN"


@pytest.mark.parametrize("travellers", [0, 3, 25])
def test_small_worlds_render_only_readable_messages(travellers: int) -> None:
    world = build_world(WorldSpec(travellers=travellers, consignments=2, declarations=1, seed=1, day=DAY))
    messages = list(render(world))
    assert len(messages) == message_count(world)
    for message in messages:
        records = parse_message(message.payload, MessageContext(source=message.path))
        assert not [r for r in records if isinstance(r, Rejection)], message.path
