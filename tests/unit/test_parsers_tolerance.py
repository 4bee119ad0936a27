"""Real-world feeds: what the parsers tolerate (with a recorded warning), what they isolate, and the
reasons they give when they must reject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds import MessageContext, cargo_imp, ens, parse_message, sniff
from feeds.base import ParseError
from scenario.off_spec import untagged_parties
from schemas.records import Booking, Consignment, FlightLeg, Party, Passenger, Record, Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CTX = MessageContext(source="tolerance")


def read(folder: str, name: str) -> bytes:
    return (FEEDS / folder / name).read_bytes()


def codes(records: list[Record]) -> set[str]:
    return {w.code for r in records for w in r.parse_warnings}


def without_provenance(records: list[Record]) -> list[dict[str, object]]:
    return [r.model_dump(exclude={"message_id", "parse_warnings"}) for r in records if not isinstance(r, Rejection)]


# ---------------------------------------------------------------------------------------------
# EDIFACT tolerance rules


def test_una_count_of_9999_is_a_warning_on_every_record() -> None:
    clean = read("pnrgov", "pnr1.edi")
    damaged = clean.replace(b"UNT+135+", b"UNT+9999+")
    records = parse_message(damaged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    for record in records:
        assert any(w.code == "edifact.count_mismatch" and "9999" in w.detail for w in record.parse_warnings)


def test_final_segment_without_terminator_and_text_after_unz() -> None:
    clean = read("paxlst", "apis_message.edi")
    body = clean.rstrip()
    assert body.endswith(b"'")
    damaged = body[:-1] + b"\r\nEND OF TRANSMISSION 0042\r\n"
    records = parse_message(damaged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    assert {"edifact.unterminated_final_segment", "edifact.text_after_unz"} <= codes(records)


def test_a_lone_stub_between_segments_is_skipped_but_junk_that_dominates_is_rejected() -> None:
    clean = read("pnrgov", "pnr2.edi")
    at = clean.index(b"SRC'")
    damaged = clean[:at] + b"L'\r\n" + clean[at:]
    records = parse_message(damaged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    (warning,) = [w for w in records[0].parse_warnings if w.code == "edifact.junk_skipped"]
    assert "'L'" in warning.detail and "after segment" in warning.detail
    noise = b"UNB+UNOA:4+A+B+200101:0000+1'" + b"x'" * 50 + b"UNZ+0+1'"
    (rejection,) = parse_message(noise, CTX, fmt="paxlst")
    assert isinstance(rejection, Rejection) and rejection.reason == "edifact.syntax"
    assert "not segments" in rejection.detail


@pytest.mark.parametrize(("folder", "name", "fmt"), [("paxlst", "apis_message.edi", "paxlst"),
                                                    ("cargo_imp", "ffm8.txt", "cargo-imp")])
def test_type_b_envelope_and_framing_are_stripped_before_sniffing(folder: str, name: str, fmt: str) -> None:
    clean = read(folder, name)
    wrapped = b"\x01QU HDQRMXH BRUAPXH\r\n.HDQRMJL 071200\r\n\x02" + clean + b"\r\n\x03"
    assert sniff(wrapped) == fmt
    records = parse_message(wrapped, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    (warning,) = [w for w in records[0].parse_warnings if w.code == "envelope.stripped" and "Type-B" in w.detail]
    assert "QU HDQRMXH BRUAPXH" in warning.detail and "SOH/STX" in warning.detail


def test_a_log_prefix_is_stripped_but_prose_before_a_message_is_not_an_envelope() -> None:
    clean = read("pnrgov", "pnr1.edi")
    logged = b"2026-12-07T02:13:00Z [INFO] gateway: " + clean
    records = parse_message(logged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    assert "envelope.stripped" in codes(records)
    assert sniff(b"Dear customs,\nplease find below\n" + clean) is None


def test_a_non_utf8_name_in_a_unoa_interchange_is_read_in_the_likeliest_code_page() -> None:
    text = read("paxlst", "airline2.edi").decode("utf-8")
    assert "BETTON" in text
    changed = text.replace("BETTON", "BÉTTON")
    for codepage in ("cp1252", "latin-1"):
        records = parse_message(changed.encode(codepage), CTX)
        assert any(isinstance(r, Passenger) and r.surname == "BÉTTON" for r in records)
        (warning,) = [w for w in records[0].parse_warnings if w.code == "encoding.fallback"]
        assert "UNOA" in warning.detail and "cp1252" in warning.detail
    dos = parse_message(changed.encode("cp437"), CTX)  # 0x90 is É in cp437, a control character elsewhere
    assert any(isinstance(r, Passenger) and r.surname == "BÉTTON" for r in dos)


def test_a_terminator_lost_at_a_line_break_splits_at_the_next_tag() -> None:
    clean = read("pnrgov", "pnr2.edi")
    at = clean.index(b"'\r\nTIF+")
    damaged = clean[:at] + clean[at + 1 :]
    records = parse_message(damaged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    (warning,) = [w for w in records[0].parse_warnings if w.code == "edifact.missing_terminator"]
    assert "before TIF" in warning.detail


def test_a_damaged_una_is_repaired_from_unb_only_when_unambiguous() -> None:
    clean = read("paxlst", "airline2.edi")  # UNA:*.? $ with * as data separator, $ as terminator
    damaged = clean.replace(b"UNA:*.? $", b"UNA:*.?$", 1)
    records = parse_message(damaged, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    assert "edifact.una_repaired" in codes(records)
    # A hyphen as data separator stays ambiguous however UNB uses it: the message is refused.
    (rejection,) = parse_message(read("pnrgov", "danglingMetaCharacter.edi"), CTX)
    assert isinstance(rejection, Rejection) and rejection.reason == "edifact.service_characters"


def test_a_clean_interchange_has_no_warnings() -> None:
    records = parse_message(read("paxlst", "apis_message.edi"), CTX)
    assert records and not codes(records)


# ---------------------------------------------------------------------------------------------
# Failures isolated


def test_one_pnr_without_a_record_locator_is_one_dead_letter_and_the_others_are_records() -> None:
    clean = read("pnrgov", "2_pnrs_basic.edi")
    second_rci = clean.index(b"RCI+", clean.index(b"SRC", clean.index(b"SRC") + 3))
    end = clean.index(b"'", second_rci) + 1
    damaged = clean[:second_rci] + clean[end:].lstrip(b"\r\n")
    records = parse_message(damaged, CTX)
    (rejection,) = [r for r in records if isinstance(r, Rejection)]
    assert rejection.reason == "pnrgov.no_record_locator"
    assert rejection.part is not None and rejection.part.startswith("PNR 2 of 2")
    assert "segments" in rejection.part and rejection.detail.startswith(rejection.part)
    clean_bookings = [r for r in parse_message(clean, CTX) if isinstance(r, Booking)]
    (booking,) = [r for r in records if isinstance(r, Booking)]
    assert booking.model_dump(exclude={"message_id", "parse_warnings"}) == clean_bookings[0].model_dump(
        exclude={"message_id", "parse_warnings"}
    )


def test_an_unreadable_passenger_group_is_one_dead_letter_and_the_manifest_is_kept() -> None:
    clean = read("paxlst", "apis_message.edi")
    at = clean.index(b"NAD+FL")
    damaged = clean[:at] + b"NAD+FL'\n" + clean[at:]
    records = parse_message(damaged, CTX)
    (rejection,) = [r for r in records if isinstance(r, Rejection)]
    assert rejection.reason == "paxlst.passenger_unreadable" and rejection.part is not None
    assert "passenger group 1 of" in rejection.part and "NAD at segment" in rejection.part
    assert "no name and no travel document" in rejection.detail
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))


# ---------------------------------------------------------------------------------------------
# Cargo-IMP: parties, FSU, unsupported messages, envelopes

UNTAGGED_FWB = b"""FWB/16
020-12345675FRAJFK/T2K30.5
FLT/LH400/15
RTG/JFKLH
SHP/12345
/ACME TOOLS GMBH
/HAUPTSTRASSE 1
/FRANKFURT/HE
/DE/60311/TE/4969123456
CNE
/GLOBAL IMPORTS INC
/5 MAIN STREET
/NEW YORK/NY
/US/10001
AGT/0123456/1234
/SCHENKER DEUTSCHLAND AG
/FRANKFURT
NFY
RTD/1/P2/K30.5
/NG/MACHINE PARTS
"""


def test_fwb_untagged_party_lines_and_an_unreadable_party_is_a_warning() -> None:
    records = cargo_imp.parse(UNTAGGED_FWB, CTX)
    parties = {p.roles[0]: p for p in records if isinstance(p, Party)}
    shipper, consignee = parties["shipper"], parties["consignee"]
    assert shipper.name == "ACME TOOLS GMBH" and shipper.address is not None
    assert (shipper.address.lines, shipper.address.city, shipper.address.region) == (
        ["HAUPTSTRASSE 1"],
        "FRANKFURT",
        "HE",
    )
    assert (shipper.address.country, shipper.address.postcode, shipper.phones) == ("DE", "60311", ["4969123456"])
    assert consignee.name == "GLOBAL IMPORTS INC" and consignee.address is not None
    assert consignee.address.country == "US" and consignee.address.city == "NEW YORK"
    assert parties["agent"].name == "SCHENKER DEUTSCHLAND AG"
    (consignment,) = [r for r in records if isinstance(r, Consignment)]
    assert (consignment.shipper_name, consignment.consignee_name) == ("ACME TOOLS GMBH", "GLOBAL IMPORTS INC")
    warnings = [w for w in consignment.parse_warnings if w.code == "cargo_imp.party_unreadable"]
    assert len(warnings) == 1 and "NFY" in warnings[0].detail and "020-12345675" in warnings[0].detail


def test_fwb_sample_in_the_untagged_layout_gives_the_same_parties() -> None:
    clean = read("cargo_imp", "fwb17.txt")
    variant = untagged_parties(clean, 0)
    assert variant is not None and b"\nSHP\n/T. ULSIDAS LTD.\n/105 VEER TAMAN ROAD\n/MUMBAI\n/IN\n" in variant.damaged
    records = cargo_imp.parse(variant.damaged, CTX)
    assert without_provenance(records) == without_provenance(cargo_imp.parse(clean, CTX))
    assert not {code for code in codes(records) if code.startswith("cargo_imp.party")}


FSU = b"""FSU/14
057-12345675CDGJFK/T2K30
RCS/15APR1023/CDG/T2K30
DEP/AF077/17APR1430/CDG/JFK/T2K30
ARR/AF077/17APR1830/JFK/T2K30
"""


def test_fsu_status_events_and_the_flight() -> None:
    assert sniff(FSU) == "cargo-imp"
    records = parse_message(FSU, CTX)
    (consignment,) = [r for r in records if isinstance(r, Consignment)]
    assert consignment.transport_document == "057-12345675" and consignment.port_of_arrival == "JFK"
    assert [(e.code, e.airport, e.day, e.time) for e in consignment.status_events] == [
        ("RCS", "CDG", "15APR", "1023"),
        ("DEP", "CDG", "17APR", "1430"),
        ("ARR", "JFK", "17APR", "1830"),
    ]
    assert consignment.status_events[1].destination == "JFK" and consignment.status_events[1].pieces == 2
    (leg,) = [r for r in records if isinstance(r, FlightLeg)]
    assert (leg.carrier, leg.flight_number, leg.departure_airport, leg.arrival_airport) == ("AF", "77", "CDG", "JFK")
    assert {"awb"} == {i.scheme for i in consignment.identifiers}


@pytest.mark.parametrize(("header", "name"), [(b"FBL/3", "freight booked list"), (b"FFA/4", "booking answer"),
                                              (b"FSR/5", "status request")])
def test_unsupported_cargo_imp_messages_are_named(header: bytes, name: str) -> None:
    payload = b"QK SELFMXH\r\n.BUDFMXH 121212\r\n" + header + b"\r\nLH400/15APR/FRA\r\n"
    assert sniff(payload) == "cargo-imp"
    (rejection,) = parse_message(payload, CTX)
    assert isinstance(rejection, Rejection) and rejection.reason == "cargo_imp.unsupported_message"
    assert header.decode() in rejection.detail and name in rejection.detail and "FWB" in rejection.detail





# ---------------------------------------------------------------------------------------------
# ENS: amendments, SOAP, unsupported messages


def json_amendment() -> dict[str, object]:
    data = json.loads(read("ens", "315AllOptional.json"))
    data["metadata"]["messageType"] = "IE313"
    data["movementReferenceNumber"] = "21GB00000000000011"
    data["amendment"] = {"dateTime": "2003-02-12T10:00:00.000Z"}
    return data


def test_ie313_json_amendment_links_to_the_declaration_by_mrn_and_lrn() -> None:
    data = json_amendment()
    records = ens.parse(json.dumps(data).encode(), CTX)
    (amendment,) = [r for r in records if isinstance(r, Consignment)]
    (original,) = [r for r in ens.parse(read("ens", "315AllOptional.json"), CTX) if isinstance(r, Consignment)]
    assert amendment.document_type == "ENS amendment" and amendment.amends == "21GB00000000000011"
    assert amendment.id != original.id
    schemes = {i.scheme: i.value for i in amendment.identifiers}
    assert schemes["mrn"] == "21GB00000000000011" and schemes["lrn"] == "refnum"
    assert {"lrn": "refnum"}.items() <= {i.scheme: i.value for i in original.identifiers}.items()
    del data["declaration"]["localReferenceNumber"]  # type: ignore[attr-defined]
    (only_mrn,) = [r for r in ens.parse(json.dumps(data).encode(), CTX) if isinstance(r, Consignment)]
    assert only_mrn.amends == "21GB00000000000011"


def test_ie313_without_any_reference_says_what_is_missing() -> None:
    data = json_amendment()
    del data["movementReferenceNumber"]
    del data["declaration"]["localReferenceNumber"]  # type: ignore[attr-defined]
    with pytest.raises(ParseError) as caught:
        ens.parse(json.dumps(data).encode(), CTX)
    assert caught.value.reason == "ens.missing_field" and "IE313" in caught.value.detail
    assert "movementReferenceNumber" in caught.value.detail


def test_cc313a_xml_amendment() -> None:
    text = read("ens", "315AllOptional.xml").decode()
    xml = text.replace("CC315A", "CC313A").replace("<HEAHEA>", "<HEAHEA><DocNumHEA5>21GB00000000000011</DocNumHEA5>")
    assert sniff(xml.encode()) == "ens"
    records = parse_message(xml.encode(), CTX)
    (amendment,) = [r for r in records if isinstance(r, Consignment)]
    assert amendment.document_type == "ENS amendment" and amendment.amends == "21GB00000000000011"
    assert {i.scheme for i in amendment.identifiers} >= {"mrn", "lrn"}


def test_unsupported_ics_messages_are_named() -> None:
    data = json.loads(read("ens", "315AllOptional.json"))
    data["metadata"]["messageType"] = "IE316"
    (rejection,) = parse_message(json.dumps(data).encode(), CTX, fmt="ens")
    assert isinstance(rejection, Rejection) and rejection.reason == "ens.unsupported_message"
    assert "IE316" in rejection.detail and "CC313A" in rejection.detail
    xml = read("ens", "315AllOptional.xml").decode().replace("CC315A", "CC328A")
    (rejection,) = parse_message(xml.encode(), CTX, fmt="ens")
    assert isinstance(rejection, Rejection) and rejection.reason == "ens.unsupported_message"
    assert "CC328A" in rejection.detail


def test_ens_inside_a_soap_envelope() -> None:
    clean = read("ens", "CC315A-schemaValidSample-v11-2.xml")
    body = clean.decode().split("?>", 1)[1]
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        f"<soap:Header/><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()
    assert sniff(wrapped) == "ens"
    records = parse_message(wrapped, CTX)
    assert without_provenance(records) == without_provenance(parse_message(clean, CTX))
    assert "envelope.stripped" in codes(records)


# ---------------------------------------------------------------------------------------------
# Reasons an operator can act on


def test_an_unclosed_xml_comment_names_its_line_and_what_it_hides() -> None:
    xml = read("ens", "315AllOptional.xml").decode()
    lines = xml.splitlines()
    at = next(i for i, line in enumerate(lines) if "<HEAHEA>" in line)
    never_closed = "\n".join([*lines[:at], "<!-- reviewed by ops", *lines[at:]])
    (rejection,) = parse_message(never_closed.encode(), CTX)
    assert isinstance(rejection, Rejection) and rejection.reason == "xml.unclosed_comment"
    assert f"line {at + 1}" in rejection.detail and "HEAHEA" in rejection.detail and "never closed" in rejection.detail
    swallowed = "\n".join([*lines[:at], "<!-- reviewed by ops", *lines[at : at + 3], "<!-- end -->", *lines[at + 3 :]])
    (rejection,) = parse_message(swallowed.encode(), CTX)
    assert isinstance(rejection, Rejection) and rejection.reason == "xml.unclosed_comment"
    assert f"line {at + 1}" in rejection.detail and "next comment" in rejection.detail
    assert "double hyphen" not in rejection.detail.lower()
