"""The generated world: valid identifiers, determinism, the planted scenario and the suspicious patterns."""

from __future__ import annotations

import random
from datetime import date, timedelta

import phonenumbers
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from stdnum import imo, iso6346

from scenario import WorldSpec, build_world, render
from scenario import identifiers as ids
from scenario import reference as ref
from scenario.planted import listed_companies, load_scenario
from scenario.world import World
from sekisho.settings import PROJECT_ROOT

DAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(WorldSpec(travellers=300, consignments=120, declarations=60, seed=5, day=DAY,
                                 suspicious_rate=0.03))


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from([c.awb_prefix for c in ref.CARRIERS]))
def test_awb_numbers_carry_a_mod7_check_digit(seed: int, prefix: str) -> None:
    awb = ids.awb_number(random.Random(seed), prefix)
    assert awb.startswith(prefix + "-") and ids.is_valid_awb(awb)
    serial = awb[4:11]
    assert int(awb[-1]) == int(serial) % 7


def test_awb_check_rejects_a_wrong_digit() -> None:
    assert ids.is_valid_awb("160-12345675")
    assert not ids.is_valid_awb("160-12345676")


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(ref.CONTAINER_OWNERS))
def test_container_and_imo_numbers_are_valid(seed: int, owner: str) -> None:
    rng = random.Random(seed)
    assert iso6346.is_valid(ids.container_number(rng, owner))
    assert imo.is_valid(ids.imo_number(rng))


@pytest.mark.parametrize("country", [*ref.TRAVELLER_COUNTRIES, "MY", "AE"])
def test_mobile_numbers_are_valid_for_their_country(country: str) -> None:
    rng = random.Random(1)
    for _ in range(20):
        number = phonenumbers.parse(ids.mobile_number(rng, country))
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == country


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    def payloads(seed: int) -> list[bytes]:
        spec = WorldSpec(travellers=60, consignments=20, declarations=10, seed=seed, day=DAY)
        return [m.payload for m in render(build_world(spec))]

    assert payloads(3) == payloads(3)
    assert payloads(3) != payloads(4)


def test_volumes_are_what_was_asked(world: World) -> None:
    assert len(world.people) == 300
    assert len(world.air) + len(world.sea) == 120
    assert len(world.declarations) == 60
    assert sum(len(b.passenger_keys) for b in world.bookings) == 300
    arrivals = {f.key for f in world.arrivals()}
    # every booking has exactly one leg landing in Japan on the feed day
    assert all(sum(k in arrivals for k in b.flight_keys) == 1 for b in world.bookings)


def test_entities_recur_across_feeds(world: World) -> None:
    consignees = {c.consignee_key for c in world.air} | {c.consignee_key for c in world.sea}
    importers = {d.importer_key for d in world.declarations}
    assert importers <= consignees
    for booking in world.bookings:
        phones = {world.people[k].phone for k in booking.passenger_keys}
        assert set(booking.contact_phones) == phones


def test_the_world_yaml_scenario_is_planted_exactly(world: World) -> None:
    scenario = load_scenario()
    volkov, chen = world.people["p-volkov"], world.people["p-chen"]
    assert (volkov.surname, volkov.passport, volkov.phone) == ("VOLKOV", "753912468", "+85291234567")
    assert (chen.given_names, chen.passport, chen.phone) == ("WEI", "E12345678", "+85291234568")
    booking = next(b for b in world.bookings if b.locator == "QX7P2M")
    assert booking.passenger_keys == ("p-volkov", "p-chen")
    assert booking.form_of_payment == "CA" and booking.one_way
    assert booking.payer_name == "KOREA MINING DEVELOPMENT TRADING CORPORATION"
    flight = world.flights[booking.flight_keys[0]]
    assert (flight.designator, flight.origin, flight.destination) == ("CX500", "HKG", "NRT")
    assert flight.departure - booking.created_at == timedelta(hours=30)
    awb = next(c for c in world.air if c.awb == "160-12345675")
    item = scenario["consignments"][0]
    assert (awb.goods.goods.hs_code, awb.goods.value, awb.goods.weight_kg, awb.goods.pieces) == (
        item["hs_code"], item["declared_value"], item["weight_kg"], item["pieces"])
    assert world.companies[awb.consignee_key].phone == volkov.phone
    assert world.flights[awb.flight_key].designator == "CX500"
    declaration = next(d for d in world.declarations if d.transport_document == "160-12345675")
    assert declaration.importer_key == "c-pacific-rim" and declaration.exporter_key == "c-golden-dragon"
    assert {f.designator for f in world.arrivals()} >= {"CX500", "JL26"}


def test_planted_patterns_have_the_shape_they_claim(world: World) -> None:
    by_pattern: dict[str, list[dict[str, list[str]]]] = {}
    for planted in world.planted:
        by_pattern.setdefault(planted.pattern, []).append(planted.entities)
    assert set(by_pattern) == {"scenario", "cash-one-way-late", "shared-contact", "undervalued", "risky-routing"}
    bookings = {b.locator: b for b in world.bookings}
    for entities in by_pattern["cash-one-way-late"]:
        booking = bookings[entities["record_locators"][0]]
        departure = world.flights[booking.flight_keys[0]].departure
        assert booking.form_of_payment == "CA" and booking.one_way
        assert departure - booking.created_at < timedelta(hours=72)
    listed = {entry_id for entry_id, _, _ in listed_companies()}
    for entities in by_pattern["shared-contact"]:
        booking = bookings[entities["record_locators"][0]]
        company = world.companies[entities["listed_ids"][0]]
        assert company.listed_id in listed and company.phone in booking.contact_phones
        shipped = [c for c in world.air if c.awb in entities["awbs"]]
        assert shipped and all(c.shipper_key == company.key for c in shipped)
    norms = ref.hs_chapter_norms()
    for entities in by_pattern["undervalued"]:
        lines = [c.goods for c in world.air if c.awb in entities.get("awbs", [])] + [
            g for c in world.sea if c.bill_of_lading in entities.get("bills_of_lading", []) for g in c.goods]
        assert lines
        for line in lines:
            assert line.value / line.weight_kg < 0.06 * norms[line.goods.hs_code[:2]]
        assert any(d.lrn in entities["declaration_refs"] for d in world.declarations)
    kinds = set()
    for entities in by_pattern["risky-routing"]:
        assert set(entities["countries"]) <= set(ref.LISTED_COUNTRIES)
        for air in (c for c in world.air if c.awb in entities.get("awbs", [])):
            kinds.add("air")
            assert ref.AIRPORTS[air.origin][0] in ref.LISTED_COUNTRIES
            assert air.routing == (world.flights[air.flight_key].origin, air.destination)
        for sea in (c for c in world.sea if c.bill_of_lading in entities.get("bills_of_lading", [])):
            kinds.add("sea")
            assert sea.itinerary[0] in ref.LISTED_COUNTRIES and sea.port_of_loading in ref.RISKY_SEA_PORTS
        kinds.update("booking" for _ in entities.get("record_locators", []))
    assert kinds == {"air", "sea", "booking"}


def test_normal_traffic_is_not_accidentally_suspicious(world: World) -> None:
    planted_locators = {loc for p in world.planted for loc in p.entities.get("record_locators", [])}
    for booking in world.bookings:
        if booking.locator in planted_locators:
            continue
        departure = world.flights[booking.flight_keys[0]].departure
        late = departure - booking.created_at < timedelta(hours=72)
        assert not (booking.form_of_payment == "CA" and booking.one_way and late)
        assert all(ref.AIRPORTS[world.flights[k].origin][0] not in ref.LISTED_COUNTRIES for k in booking.flight_keys)
    planted_awbs = {a for p in world.planted for a in p.entities.get("awbs", [])}
    norms = ref.hs_chapter_norms()
    for consignment in world.air:
        if consignment.awb not in planted_awbs:
            assert ref.AIRPORTS[consignment.origin][0] not in ref.LISTED_COUNTRIES
            line = consignment.goods
            assert line.value / line.weight_kg >= 0.29 * norms[line.goods.hs_code[:2]]
    listed_keys = {c.key for c in world.companies.values() if c.listed_id}
    phones = [c.phone for c in world.companies.values() if c.phone and c.key not in listed_keys]
    assert len(phones) == len(set(phones)) or "c-pacific-rim" in world.companies


def test_goods_are_priced_within_their_chapter_norm_and_match_the_targeting_reference() -> None:
    norms = ref.hs_chapter_norms()
    assert all(goods.usd_per_kg >= 0.5 * norms[goods.hs_code[:2]] for goods in ref.GOODS)
    targeting = PROJECT_ROOT / "targeting" / "reference.yaml"
    if not targeting.exists():
        pytest.skip("targeting reference not installed")
    chapters = yaml.safe_load(targeting.read_text(encoding="utf-8")).get("hs_chapters", {})
    for chapter, norm in norms.items():
        if chapter in chapters and "usd_per_kg" in chapters[chapter]:
            assert float(chapters[chapter]["usd_per_kg"]) == norm, chapter
