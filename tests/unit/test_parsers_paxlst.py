"""PAXLST parser on the real airline samples: counts, key fields, deterministic ids."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from feeds import MessageContext, parse_message, paxlst, sniff
from feeds.base import ParseError
from feeds.check_digits import mrz_check_digit, mrz_document_number_valid
from schemas.records import FlightLeg, Passenger, Record, Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds" / "paxlst"


def parse(name: str) -> list[Record]:
    return paxlst.parse((FEEDS / name).read_bytes(), MessageContext(source=name))


def passengers(records: list[Record]) -> list[Passenger]:
    return [r for r in records if isinstance(r, Passenger)]


def legs(records: list[Record]) -> list[FlightLeg]:
    return [r for r in records if isinstance(r, FlightLeg)]


@pytest.mark.parametrize(
    ("name", "people", "flights", "role"),
    [
        ("airline2.edi", 10, 1, "passenger"),
        ("apis_message.edi", 2, 2, "passenger"),
        ("test1.edi", 8, 1, "crew"),
    ],
)
def test_counts_per_sample(name: str, people: int, flights: int, role: str) -> None:
    records = parse(name)
    assert len(passengers(records)) == people
    assert len(legs(records)) == flights
    assert {p.role for p in passengers(records)} == {role}
    assert len({r.id for r in records}) == len(records)


def test_custom_service_characters_una_with_star_and_dollar() -> None:
    records = parse("airline2.edi")  # UNA:*.? $ and a "UNG " tag with a trailing blank
    (leg,) = legs(records)
    assert (leg.carrier, leg.flight_number, leg.departure_airport, leg.arrival_airport) == (
        "TN",
        "506",
        "BRE",
        "YEU",
    )
    assert leg.departure_time == datetime(2014, 5, 11, 13, 40)
    assert leg.arrival_time == datetime(2014, 5, 11, 17, 0)
    first = passengers(records)[0]
    assert (first.surname, first.given_names, first.gender) == ("BETTON", "DAVID", "M")
    assert first.date_of_birth == date(1954, 10, 16)
    assert first.nationality == "US"  # USA -> ISO alpha-2
    assert first.record_locator == "QXGYLO"
    (document,) = first.documents
    assert (document.doc_type, document.number, document.issuing_country) == ("P", "178556534", "US")
    assert document.expiry_date == date(2018, 2, 21)
    assert first.flight_leg_ids == [leg.id]
    assert (first.embarkation, first.debarkation) == ("BRE", "YEU")


def test_two_legs_with_routing_locations() -> None:
    records = parse("apis_message.edi")  # leading blanks before every segment
    first, second = legs(records)
    assert (first.carrier, first.flight_number, first.departure_airport, first.arrival_airport) == (
        "AA",
        "123",
        "ATL",
        "ORD",
    )
    assert (second.flight_number, second.departure_airport, second.arrival_airport) == ("124", "ORD", "JFK")
    clark, cheryl = passengers(records)
    assert clark.full_name == "MICHAEL CLARK" and clark.gender == "M" and clark.documents == []
    assert clark.flight_leg_ids == [first.id, second.id]
    assert (cheryl.given_names, cheryl.gender, cheryl.date_of_birth) == ("CHERYL", "F", date(1973, 4, 7))
    assert cheryl.embarkation == "ORD"


def test_crew_list_without_una_same_document_different_people() -> None:
    records = parse("test1.edi")
    crew = passengers(records)
    assert [p.surname for p in crew][:3] == ["Steur", "Adomat", "Nalek"]
    assert crew[0].given_names == "Andrea Pat" and crew[0].country_of_residence == "GB"
    assert {d.number for p in crew for d in p.documents} == {"123456789"}
    assert len({p.id for p in crew}) == 8  # same test passport, different birth dates
    (leg,) = legs(records)
    assert (leg.carrier, leg.flight_number) == ("UA", "989")  # UA0989 normalised


def test_ids_are_deterministic_and_independent_of_context() -> None:
    payload = (FEEDS / "airline2.edi").read_bytes()
    first = paxlst.parse(payload, MessageContext(source="a"))
    again = paxlst.parse(payload, MessageContext(source="b", received_at=datetime(2030, 1, 1)))
    assert [r.id for r in first] == [r.id for r in again]


def test_sniffing_and_registry() -> None:
    for name in ("airline2.edi", "apis_message.edi", "test1.edi"):
        assert sniff((FEEDS / name).read_bytes()) == "paxlst"


def test_wrong_message_type_is_rejected() -> None:
    pnr = (FEEDS.parent / "pnrgov" / "pnr1.edi").read_bytes()
    with pytest.raises(ParseError) as caught:
        paxlst.parse(pnr, MessageContext(source="x"))
    assert caught.value.reason == "edifact.wrong_message_type"
    (rejection,) = parse_message(pnr, MessageContext(source="x"), fmt="paxlst")
    assert isinstance(rejection, Rejection) and rejection.reason == "edifact.wrong_message_type"


def test_truncated_interchange_is_rejected() -> None:
    payload = (FEEDS / "test1.edi").read_bytes()
    cut = payload[: payload.index(b"UNT+")]
    (rejection,) = parse_message(cut, MessageContext(source="x"))
    assert isinstance(rejection, Rejection)
    assert rejection.reason in ("edifact.truncated", "edifact.syntax")


def test_mrz_check_digits() -> None:
    assert mrz_check_digit("L898902C3") == 6  # ICAO 9303 specimen
    assert mrz_document_number_valid("L898902C36") is True
    assert mrz_document_number_valid("L898902C35") is False
    assert mrz_document_number_valid("178556534") is None
