"""ENS (CC315A XML and JSON) and WCO/UK CDS declaration parsers on the real samples."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from feeds import MessageContext, ens, parse_message, sniff, wco
from feeds.base import ParseError
from schemas.records import Consignment, Declaration, Party, Record

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CTX = MessageContext(source="test")


def read(folder: str, name: str) -> bytes:
    return (FEEDS / folder / name).read_bytes()


def parties(records: list[Record]) -> list[Party]:
    return [r for r in records if isinstance(r, Party)]


def only_consignment(records: list[Record]) -> Consignment:
    (consignment,) = [r for r in records if isinstance(r, Consignment)]
    return consignment


def only_declaration(records: list[Record]) -> Declaration:
    (declaration,) = [r for r in records if isinstance(r, Declaration)]
    return declaration


def test_ens_xml_all_optional() -> None:
    records = ens.parse(read("ens", "315AllOptional.xml"), CTX)
    ens_consignment = only_consignment(records)
    assert (ens_consignment.document_type, ens_consignment.transport_document) == ("ENS", "commercialRefNum")
    assert ens_consignment.transport_mode == "rail"  # mode 2 at the border
    assert ens_consignment.containers == ["Container 1", "Container 2"]
    assert (ens_consignment.total_pieces, ens_consignment.total_weight_kg) == (2, 3.0)
    assert ens_consignment.arrival_date == date(2003, 2, 11) and ens_consignment.port_of_arrival == "AB3C4D5E"
    (item,) = ens_consignment.goods
    assert (item.sequence, item.description, item.gross_weight_kg, item.package_count) == (
        42,
        "Goods description",
        123.456,
        1102,
    )
    assert item.hs_code is None  # "comco" is not a commodity code
    assert len(parties(records)) == 9  # six header parties and three goods-item parties
    assert ens_consignment.shipper_name == "consignor name" and ens_consignment.consignee_name == "consignee name"
    roles = sorted(role for p in parties(records) for role in p.roles)
    assert roles.count("shipper") == 2 and "declarant" in roles and "carrier" in roles
    assert {i.scheme: i.value for i in ens_consignment.identifiers}["lrn"] == "refnum"


def test_ens_json_and_xml_give_identical_records() -> None:
    from_xml = ens.parse(read("ens", "315AllOptional.xml"), CTX)
    from_json = ens.parse(read("ens", "315AllOptional.json"), CTX)
    assert [r.model_dump(exclude={"message_id"}) for r in from_xml] == [
        r.model_dump(exclude={"message_id"}) for r in from_json
    ]


def test_ens_schema_valid_sample() -> None:
    records = ens.parse(read("ens", "CC315A-schemaValidSample-v11-2.xml"), CTX)
    consignment = only_consignment(records)
    assert consignment.transport_mode == "other" and consignment.total_pieces == 42
    assert consignment.goods[0].hs_code is None and consignment.goods[0].gross_weight_kg == 3.14
    # Every party has the same name and address ("ABC123") and no valid TIN: one party, all roles.
    (party,) = parties(records)
    assert sorted(party.roles) == ["carrier", "consignee", "declarant", "notify", "representative", "shipper"]
    assert party.address is not None and party.address.country is None  # "EN" is not a country


def test_ens_json_errors() -> None:
    for payload, reason in [
        (b'{"goods": {}, "itinerary": {}}', "ens.missing_field"),
        (b'{"goods": [1, "itinerary"', "json.malformed"),
    ]:
        with pytest.raises(ParseError) as caught:
            ens.parse(payload, CTX)
        assert caught.value.reason == reason


def test_ens_json_tolerates_odd_scalars() -> None:
    data = json.loads(read("ens", "315AllOptional.json"))
    data["parties"]["consignor"]["address"]["city"] = 12345
    data["goods"]["goodsItems"][0]["commodityCode"] = 85109000
    records = ens.parse(json.dumps(data).encode(), CTX)
    consignment = only_consignment(records)
    assert consignment.goods[0].hs_code == "85109000"
    shipper = next(p for p in parties(records) if p.id == consignment.shipper_id)
    assert shipper.address is not None and shipper.address.city == "12345"


def test_wco_import_declaration() -> None:
    records = wco.parse(read("wco_dms", "Step1_TT_IM001a.xml"), CTX)
    declaration = only_declaration(records)
    assert (declaration.reference, declaration.declaration_type) == ("7847767E1WB6", "import")
    assert (declaration.country_of_origin, declaration.country_of_export) == ("US", "US")
    assert declaration.containers == ["AD12345"]
    (item,) = declaration.goods
    assert (item.hs_code, item.gross_weight_kg, item.package_count, item.value, item.currency) == (
        "85109000",
        150.0,
        50,
        1000.0,
        "GBP",
    )
    assert item.description is not None and item.description.startswith("Parts for electric shavers")
    assert (declaration.invoice_value, declaration.currency, declaration.total_gross_weight_kg) == (
        1000.0,
        "GBP",
        150.0,
    )
    assert declaration.exporter_name == "US Clipper Inc."
    assert declaration.importer_name == "GB553202734852"
    assert len(parties(records)) == 3
    importer = next(p for p in parties(records) if p.id == declaration.importer_id)
    assert importer.registration_ids == ["GB553202734852"]
    schemes = {i.scheme: i.value for i in declaration.identifiers}
    assert schemes["ducr"] == "4GB553202734852-12345" and schemes["ens_mrn"] == "24GB34F7Y1O2CX8PT4"


def test_wco_export_declaration() -> None:
    records = wco.parse(read("wco_dms", "TT_EX001a.xml"), CTX)
    declaration = only_declaration(records)
    assert (declaration.reference, declaration.declaration_type, declaration.office_id) == (
        "U.7847323YIPYA",
        "export",
        "GB000040",
    )
    assert declaration.containers == ["CONU1234567"] and declaration.country_of_export == "GB"
    (item,) = declaration.goods
    assert (item.hs_code, item.gross_weight_kg, item.package_count, item.value) == (
        "46021910",
        10.0,
        10,
        200.0,
    )
    # The declarant is also the exporter (same EORI): one party with both roles, plus consignee and carrier.
    assert declaration.declarant_id == declaration.exporter_id
    assert sorted(sorted(p.roles) for p in parties(records)) == [
        ["carrier"],
        ["consignee"],
        ["declarant", "exporter"],
    ]


def test_sniffing_and_auto_parse() -> None:
    for folder, name, expected in [
        ("ens", "315AllOptional.xml", "ens"),
        ("ens", "315AllOptional.json", "ens"),
        ("ens", "CC315A-schemaValidSample-v11-2.xml", "ens"),
        ("wco_dms", "Step1_TT_IM001a.xml", "wco"),
        ("wco_dms", "TT_EX001a.xml", "wco"),
    ]:
        payload = read(folder, name)
        assert sniff(payload) == expected
        assert all(r.record_type != "rejection" for r in parse_message(payload, CTX))
