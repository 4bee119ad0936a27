"""One name on one flight: an API record and a PNR that share nothing else merge only while the name is unique."""

from __future__ import annotations

from datetime import date
from itertools import permutations

from resolution.clusters import Resolver
from schemas.records import Passenger, Record, TravelDocument

LEG = "flight_leg-cx500"


def api(key: str, given: str, surname: str, number: str, born: date) -> Passenger:
    return Passenger(
        id=f"passenger-api-{key}", source_format="paxlst", full_name=f"{given} {surname}", given_names=given,
        surname=surname, date_of_birth=born, gender="M", flight_leg_ids=[LEG],
        documents=[TravelDocument(doc_type="P", number=number, issuing_country="RU")],
    )


def pnr(key: str, given: str, surname: str, locator: str) -> Passenger:
    return Passenger(
        id=f"passenger-pnr-{key}", source_format="pnrgov", full_name=f"{surname} {given}", given_names=given,
        surname=surname, record_locator=locator, flight_leg_ids=[LEG, "flight_leg-return"],
    )


VOLKOV_API = api("a", "DMITRI", "VOLKOV", "753912468", date(1979, 3, 14))
VOLKOV_PNR = pnr("p", "DMITRIY", "WOLKOW", "QX7P2M")
NAMESAKE_API = api("n", "DMITRY", "VOLKOV", "612004417", date(1990, 5, 1))
STRANGER_API = api("s", "OLGA", "VOLKOVA", "500111222", date(1985, 1, 2))


def test_a_name_alone_on_its_flight_merges_and_says_why() -> None:
    resolver = Resolver()
    resolver.add([VOLKOV_API, VOLKOV_PNR, STRANGER_API])  # another VOLKOV(A), but not a name like it
    assert resolver.entity_of(VOLKOV_PNR.id) == VOLKOV_API.id
    membership = resolver.membership(VOLKOV_PNR.id)
    assert membership is not None
    assert any("no other traveller on that flight has a name like it" in reason
               and "rule name_flight_unique" in reason for reason in membership.reasons)


def test_a_namesake_arriving_later_withdraws_the_match() -> None:
    resolver = Resolver()
    resolver.add([VOLKOV_API, VOLKOV_PNR])
    assert resolver.entity_of(VOLKOV_PNR.id) == VOLKOV_API.id
    changes = resolver.add([NAMESAKE_API])
    assert resolver.entity_of(VOLKOV_PNR.id) == VOLKOV_PNR.id  # which VOLKOV booked it is no longer known
    assert changes.left == {VOLKOV_PNR.id: VOLKOV_API.id}
    assert resolver.matches_of(VOLKOV_PNR.id) == []


def test_the_same_entities_in_every_arrival_order() -> None:
    records: list[Record] = [VOLKOV_API, VOLKOV_PNR, NAMESAKE_API, STRANGER_API]
    outcomes = set()
    for order in permutations(records):
        resolver = Resolver()
        for record in order:
            resolver.add([record])
        outcomes.add(tuple(resolver.entity_of(record.id) for record in records))
    assert outcomes == {tuple(record.id for record in records)}
