"""Cargo-IMP (FWB/FFM/FHL) and Cargo-XML (XFWB/XFZB/XFFM) parsers on the real samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import MessageContext, cargo_imp, cargo_xml, sniff
from feeds.base import ParseError
from feeds.check_digits import awb_check_digit_valid
from schemas.records import Consignment, FlightLeg, Party, Record

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CTX = MessageContext(source="test")

FHL_SAMPLE = b"""FHL/4
MBI/888-11111111ICNFRA/T59K2217
HBS/SEL22222222/ICNFDH/10/K134/0/SPARE PARTS
HTS/847330
TXT/SPARE PARTS FOR PRINTERS
SHP
NAM/SPARE PART LTD.
ADR/42. GONGDAN SEONGSAN
LOC/CHANGWON-SI
/KR/12345
CNE
NAM/REPAIR DIENST GMBH
ADR/SPEZIAL-STR. 13
LOC/FRIEDRICHSHAFEN
/DE/87654
HBS/SEL22222223/ICNFRA/4/K80/0/TOYS
"""

XFFM_SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ns2:FlightManifest xmlns="iata:datamodel:3" xmlns:ns2="iata:flightmanifest:1">
  <ns2:LogisticsTransportMovement><ID>LH8160</ID>
    <DepartureEvent><DepartureOccurrenceDateTime>2024-03-01T10:00:00</DepartureOccurrenceDateTime>
      <OccurrenceDepartureLocation><ID>FRA</ID></OccurrenceDepartureLocation></DepartureEvent>
  </ns2:LogisticsTransportMovement>
  <ns2:ArrivalEvent><OccurrenceArrivalLocation><ID>JFK</ID></OccurrenceArrivalLocation>
    <AssociatedTransportEquipment><ID>PMC12345LH</ID>
      <IncludedMasterConsignment><GrossWeightMeasure unitCode="KGM">200</GrossWeightMeasure>
        <TotalPieceQuantity>10</TotalPieceQuantity><SummaryDescription>BOOKS</SummaryDescription>
        <TransportContractDocument><ID>020-12345675</ID></TransportContractDocument>
        <OriginLocation><ID>FRA</ID></OriginLocation><FinalDestinationLocation><ID>JFK</ID></FinalDestinationLocation>
      </IncludedMasterConsignment>
    </AssociatedTransportEquipment>
  </ns2:ArrivalEvent>
</ns2:FlightManifest>
"""


def flight_legs(records: list[Record]) -> list[FlightLeg]:
    return [r for r in records if isinstance(r, FlightLeg)]


def consignments(records: list[Record]) -> list[Consignment]:
    return [r for r in records if isinstance(r, Consignment)]


def parties(records: list[Record]) -> list[Party]:
    return [r for r in records if isinstance(r, Party)]


def by_awb(records: list[Record], awb: str) -> list[Consignment]:
    return [c for c in consignments(records) if c.transport_document == awb]


def test_awb_check_digit() -> None:
    assert awb_check_digit_valid("777-12345675")
    assert awb_check_digit_valid("555-64264793")
    assert not awb_check_digit_valid("074-12345632")
    assert not awb_check_digit_valid("777-1234567")


def test_ffm_sample_counts() -> None:
    records = cargo_imp.parse((FEEDS / "cargo_imp" / "ffm8.txt").read_bytes(), CTX)
    # 5 manifests: 3 + 11 + 0 + 10 + 7 distinct AWBs (split shipments merged), 35 AWB lines in all.
    assert len(consignments(records)) == 31
    assert sum(len(c.goods) for c in consignments(records)) == 35
    # 7 unloading legs; SU1145/01JAN from AAQ is manifested twice, so one leg id covers both.
    assert len(flight_legs(records)) == 6
    assert len({r.id for r in records}) == len(records)


def test_ffm_split_shipment_and_ulds() -> None:
    records = cargo_imp.parse((FEEDS / "cargo_imp" / "ffm8.txt").read_bytes(), CTX)
    (split,) = by_awb(records, "014-23511810")
    assert [g.package_count for g in split.goods] == [1, 12]
    assert split.total_pieces == 13 and split.total_weight_kg == 125.0
    assert split.containers == ["DVA1234AC", "DVA3456AC"]
    assert (split.carrier, split.flight_number, split.port_of_arrival) == ("SU", "SU1145", "YYZ")
    (rolls,) = by_awb(records, "580-25194864")
    assert rolls.special_handling == ["BUP", "CAR", "RMD", "SPX", "PAX", "EAP"]
    assert rolls.goods[0].description == "ROLLS ROYCE CUL" and rolls.total_weight_kg == 2735.0
    (shoes,) = by_awb(records, "057-76215436")
    assert (shoes.origin, shoes.destination, shoes.containers) == ("CDG", "JFK", ["PMC01473R7"])
    invalid = by_awb(records, "074-12345632")[0]
    assert invalid.identifiers[0].valid is False
    legs = {(leg.carrier, leg.departure_airport, leg.arrival_airport) for leg in flight_legs(records)}
    assert ("KL", "AMS", "LHR") in legs and ("CV", "DXB", "HKG") in legs


def test_fwb_sample() -> None:
    records = cargo_imp.parse((FEEDS / "cargo_imp" / "fwb17.txt").read_bytes(), CTX)
    waybills = consignments(records)
    assert len(waybills) == 5 and len(parties(records)) == 14  # one shipper appears in two waybills
    assert [len(w.goods) for w in waybills] == [1, 1, 1, 1, 1]
    first = waybills[0]
    assert (first.transport_document, first.origin, first.destination) == ("555-64264793", "SVO", "REN")
    assert first.identifiers[0].valid is True
    assert (first.total_pieces, first.total_weight_kg) == (114, 2380.0)
    assert (first.carrier, first.flight_number, first.currency, first.declared_value) == (
        "SU",
        "SU1244",
        "USD",
        5696.0,
    )
    assert first.special_handling[:3] == ["OHG", "MOW", "DGR"]
    assert (first.goods[0].description or "").startswith("ABRASIVE PASTE")
    assert (first.shipper_name, first.consignee_name) == ("T. ULSIDAS LTD.", "AMERICAN MOTORS")
    shipper = next(p for p in parties(records) if p.id == first.shipper_id)
    assert shipper.address is not None and shipper.address.country == "IN" and shipper.address.city == "MUMBAI"
    consignee = next(p for p in parties(records) if p.id == first.consignee_id)
    assert consignee.address is not None and (consignee.address.postcode, consignee.phones) == (
        "52601",
        ["4653425"],
    )
    notify = next(p for p in parties(records) if p.id == first.notify_party_id)
    assert notify.name.startswith("EXPOWESTRANS") and notify.address and notify.address.country == "RU"
    agent = next(p for p in parties(records) if p.roles == ["agent"])
    assert agent.name == "SCHENKER DEUTSCHLAND AG"
    pounds = waybills[2]
    assert pounds.total_weight_kg == pytest.approx(68.039, abs=0.001)  # T2L150: 150 lb
    assert waybills[4].declared_value == 1500.0 and waybills[4].currency == "INR"
    assert waybills[0].shipper_id == waybills[4].shipper_id


def test_fhl_house_manifest() -> None:
    records = cargo_imp.parse(FHL_SAMPLE, CTX)
    first, second = consignments(records)
    assert (first.document_type, first.transport_document, first.master_document) == (
        "HAWB",
        "SEL22222222",
        "888-11111111",
    )
    assert first.goods[0].hs_code == "847330" and first.total_pieces == 10
    assert first.shipper_name == "SPARE PART LTD." and first.consignee_name == "REPAIR DIENST GMBH"
    assert second.transport_document == "SEL22222223" and second.shipper_id is None
    assert len(parties(records)) == 2


def test_house_waybill_same_id_in_both_syntaxes() -> None:
    xfzb = cargo_xml.parse((FEEDS / "cargo_xml" / "SEL22222222_XFZB.xml").read_bytes(), CTX)
    fhl = cargo_imp.parse(FHL_SAMPLE, CTX)
    assert consignments(xfzb)[0].id == consignments(fhl)[0].id


def test_xfwb_sample() -> None:
    records = cargo_xml.parse((FEEDS / "cargo_xml" / "xfwbExample.xml").read_bytes(), CTX)
    (waybill,) = consignments(records)
    assert (waybill.transport_document, waybill.document_type, waybill.origin, waybill.destination) == (
        "020-68548340",
        "MAWB",
        "VCP",
        "CDG",
    )
    assert (waybill.carrier, waybill.flight_number) == ("LH", "LH5050")
    assert (waybill.total_pieces, waybill.total_weight_kg, waybill.currency) == (4, 36.9, "USD")
    assert waybill.special_handling == ["EAP", "NSC"]
    assert [g.sequence for g in waybill.goods] == [1, 2, 3]
    assert waybill.goods[0].gross_weight_kg == 36.9 and waybill.goods[0].package_count == 4
    assert {p.roles[0] for p in parties(records)} == {"shipper", "consignee", "agent"}
    shipper = next(p for p in parties(records) if p.id == waybill.shipper_id)
    assert shipper.registration_ids == ["43.823.079 0012-16"] and shipper.phones == ["552134785400"]
    assert shipper.address is not None and shipper.address.country == "BR"


def test_xfzb_sample() -> None:
    records = cargo_xml.parse((FEEDS / "cargo_xml" / "SEL22222222_XFZB.xml").read_bytes(), CTX)
    (house,) = consignments(records)
    assert (house.transport_document, house.master_document, house.origin, house.destination) == (
        "SEL22222222",
        "888-11111111",
        "ICN",
        "FDH",
    )
    assert (house.total_pieces, house.total_weight_kg) == (10, 134.0)
    (item,) = house.goods
    assert (item.hs_code, item.gross_weight_kg, item.package_count, item.description) == (
        "1133557799",
        133.7,
        5,
        "SPARE PARTS",
    )
    consignee = next(p for p in parties(records) if p.id == house.consignee_id)
    assert consignee.registration_ids == ["DE3056777000"]


def test_xffm_manifest() -> None:
    records = cargo_xml.parse(XFFM_SAMPLE, CTX)
    (leg,) = flight_legs(records)
    assert (leg.carrier, leg.flight_number, leg.departure_airport, leg.arrival_airport) == (
        "LH",
        "8160",
        "FRA",
        "JFK",
    )
    (loaded,) = consignments(records)
    assert loaded.containers == ["PMC12345LH"] and loaded.total_pieces == 10 and loaded.port_of_arrival == "JFK"


def test_sniffing() -> None:
    assert sniff((FEEDS / "cargo_imp" / "ffm8.txt").read_bytes()) == "cargo-imp"
    assert sniff((FEEDS / "cargo_imp" / "fwb17.txt").read_bytes()) == "cargo-imp"
    assert sniff(FHL_SAMPLE) == "cargo-imp"
    assert sniff((FEEDS / "cargo_xml" / "xfwbExample.xml").read_bytes()) == "cargo-xml"
    assert sniff((FEEDS / "cargo_xml" / "SEL22222222_XFZB.xml").read_bytes()) == "cargo-xml"
    assert sniff(XFFM_SAMPLE) == "cargo-xml"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"FWB/17\nNOT AN AWB LINE\n", "cargo_imp.syntax"),
        (b"FFM/8\n", "cargo_imp.syntax"),
        (b"HELLO\n", "cargo_imp.syntax"),
    ],
)
def test_cargo_imp_errors(payload: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        cargo_imp.parse(payload, CTX)
    assert caught.value.reason == reason


def test_ids_deterministic() -> None:
    payload = (FEEDS / "cargo_imp" / "fwb17.txt").read_bytes()
    assert [r.id for r in cargo_imp.parse(payload, CTX)] == [
        r.id for r in cargo_imp.parse(payload, MessageContext(source="other"))
    ]
