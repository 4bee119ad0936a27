"""Planted patterns: the fixed demo scenario of ``data/planted/world.yaml`` and randomised suspicious ones.

The scenario is reproduced exactly (names, phones, AWB, record locator, payment). The random patterns
(shared contacts with a watchlisted party, cash one-way tickets bought shortly before departure,
undervalued goods, routings via listed countries) rewrite a small share of the normal population, so
the requested volumes stay what was asked for. Each becomes a ``PlantedPattern`` for the manifest.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from scenario import reference as ref
from scenario.world import (
    Booking,
    Company,
    Flight,
    Person,
    PlantedPattern,
    PostalAddress,
    WorldBuilder,
)
from sekisho.settings import BUNDLED_DATA

LISTED_PROGRAMS = ("DPRK", "NPWMD", "IRAN", "SYRIA")  # proliferation and sanctions programmes of interest


PLANTED_WORLD = BUNDLED_DATA / "planted" / "world.yaml"
BUNDLED_SDN = BUNDLED_DATA / "watchlists" / "sdn.csv"


@lru_cache(maxsize=4)
def load_scenario(path: Path = PLANTED_WORLD) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@lru_cache(maxsize=2)
def listed_companies(sdn_csv: Path = BUNDLED_SDN) -> tuple[tuple[str, str, str], ...]:
    """(entry id, name, programme) of organisations on the bundled OFAC SDN snapshot in programmes of interest."""
    path = sdn_csv
    found: list[tuple[str, str, str]] = []
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or row[2].strip() != "-0-":
                continue
            if any(program in row[3] for program in LISTED_PROGRAMS) and row[1].isascii():
                found.append((f"sdn-{row[0].strip()}", row[1].strip(), row[3].strip()))
    return tuple(found)


def _address(data: dict[str, Any]) -> PostalAddress:
    return PostalAddress(lines=tuple(data.get("lines", ())), city=str(data.get("city", "")),
                         country=str(data["country"]), postcode=data.get("postcode"))


def _count(rate: float, population: int) -> int:
    return 0 if population == 0 else max(1, round(rate * population))


def scenario_designators() -> set[str]:
    """Flight designators the scenario uses, kept out of the random timetable."""
    return {f"{item['carrier']}{item['flight_number']}" for item in load_scenario().get("flights", [])}


def plant_scenario(builder: WorldBuilder, flights: list[Flight]) -> int:
    """Put the world.yaml story into the world; returns how many travellers it added."""
    scenario = load_scenario()
    world, day = builder.world, builder.spec.day
    people: dict[str, Person] = {}
    for item in scenario.get("people", []):
        person = Person(
            key=item["key"], given_names=item["given_names"], surname=item["surname"], gender=item["gender"],
            date_of_birth=date.fromisoformat(item["date_of_birth"]), nationality=item["nationality"],
            passport=str(item["passport"]), passport_country=item["passport_country"],
            passport_expiry=date(day.year + 4, 6, 30), phone=item["phone"], email=item["email"],
            address=_address(item["address"]),
        )
        people[person.key] = person
        world.people[person.key] = person
    for item in scenario.get("companies", []):
        company = Company(key=item["key"], name=item["name"], country=item["country"],
                          address=_address(item["address"]), phone=item.get("phone"), email=item.get("email"),
                          eori=f"{item['country']}{sum(map(ord, item['key'])) * 7919:012d}")
        world.companies[company.key] = company
    for item in scenario.get("listed", []):
        world.companies[item["id"]] = Company(
            key=item["id"], name=item["name"], country="KP",
            address=PostalAddress(lines=("Central District",), city="Pyongyang", country="KP"),
            phone=None, email=None, eori="", listed_id=item["id"])
    planted_flights: dict[str, Flight] = {}
    for offset, item in enumerate(scenario.get("flights", [])):
        arrival = datetime.combine(day, time(14 + offset, 0))
        flight = builder.flight(item["carrier"], item["from"], item["to"], arrival,
                                number=str(item["flight_number"]))
        planted_flights[flight.designator] = flight
        flights.append(flight)
    entities: dict[str, list[str]] = {"person_keys": list(people), "passport_numbers": [p.passport for p in
                                                                                        people.values()]}
    for item in scenario.get("bookings", []):
        legs = [f for f in planted_flights.values() if f.carrier == item["carrier"]][:1]
        payer = world.companies[item["payer"]]
        travellers = [people[key] for key in item["passengers"]]
        booking = builder.booking(travellers, legs, return_leg=None if item.get("one_way") else
                                  builder.return_flight(legs[0]), cash=item["form_of_payment"] == "CA",
                                  hours_before=float(item["booked_hours_before_departure"]),
                                  payer=(payer.name, f"{payer.address.lines[0]} {payer.address.city}", ""))
        booking = replace(booking, locator=item["record_locator"])
        builder.reserve(locator=booking.locator)
        world.bookings.append(booking)
        entities.setdefault("record_locators", []).append(booking.locator)
        entities.setdefault("flights", []).extend(booking.flight_keys)
        entities.setdefault("listed_ids", []).append(payer.key)
    for item in scenario.get("consignments", []):
        goods = ref.GOODS_BY_HS.get(item["hs_code"], ref.GOODS[0])
        line = replace(builder.goods_line(goods, weight=float(item["weight_kg"])), description=item["description"],
                       pieces=int(item["pieces"]), value=float(item["declared_value"]), currency=item["currency"])
        flight = next(f for f in planted_flights.values()
                      if f.origin == item["origin"] and f.destination == item["destination"])
        consignment = replace(builder.air_consignment(flight, world.companies[item["shipper"]],
                                                      world.companies[item["consignee"]], line, awb=item["awb"]),
                              cargo_xml=False)
        world.air[-1] = consignment
        builder.reserve(awb=consignment.awb)
        builder.declaration_for(consignment)
        entities.setdefault("awbs", []).append(consignment.awb)
        entities.setdefault("declaration_refs", []).append(world.declarations[-1].lrn)
        entities.setdefault("company_keys", []).extend([item["shipper"], item["consignee"]])
        entities.setdefault("company_names", []).extend(
            [world.companies[item["shipper"]].name, world.companies[item["consignee"]].name])
    phones = sorted({p.phone for p in people.values()} & {c.phone for c in world.companies.values() if c.phone})
    entities["shared_phones"] = phones
    world.planted.append(PlantedPattern(
        pattern="scenario", description="world.yaml: a listed company pays cash one-way tickets; a traveller "
        "shares a phone with the consignee of undervalued dual-use machinery", entities=entities))
    return len(people)


def plant_random_patterns(builder: WorldBuilder, flights: list[Flight]) -> None:
    """Rewrite a small share of the normal population into the four suspicious patterns."""
    rng, world, rate = builder.rng, builder.world, builder.spec.suspicious_rate
    scenario_locators = set(world.planted[0].entities.get("record_locators", [])) if world.planted else set()
    scenario_awbs = set(world.planted[0].entities.get("awbs", [])) if world.planted else set()
    normal_bookings = [i for i, b in enumerate(world.bookings) if b.locator not in scenario_locators]
    rng.shuffle(normal_bookings)
    normal_air = [i for i, c in enumerate(world.air) if c.awb not in scenario_awbs]
    rng.shuffle(normal_air)

    # Cash, one-way, booked less than 72 hours before departure.
    for index in _take(normal_bookings, _count(rate, len(normal_bookings))):
        booking = world.bookings[index]
        departure = world.flights[booking.flight_keys[0]].departure
        world.bookings[index] = replace(
            booking, form_of_payment="CA", card_type=None, card_number=None, return_flight_key=None,
            created_at=(departure - timedelta(hours=rng.uniform(4, 70))).replace(second=0, microsecond=0))
        world.planted.append(PlantedPattern(
            pattern="cash-one-way-late", description="one-way ticket paid cash, booked < 72 h before departure",
            entities=_booking_entities(builder, world.bookings[index])))

    # A watchlisted organisation ships cargo with the same phone a traveller gives as PNR contact.
    listed = listed_companies()
    for index in _take(normal_bookings, _count(rate, len(normal_bookings)) if normal_air else 0):
        entry_id, name, _programme = listed[rng.randrange(len(listed))]
        booking = world.bookings[index]
        traveller = world.people[booking.passenger_keys[0]]
        country = rng.choice(("HK", "CN", "AE", "MY"))
        company = Company(key=entry_id, name=name, country=country,
                          address=PostalAddress(lines=(f"{rng.randrange(1, 99)} {rng.choice(ref.STREETS)}",),
                                                city=rng.choice(ref.CITIES[country]), country=country),
                          phone=traveller.phone, email=None, eori="", listed_id=entry_id)
        world.companies[company.key] = company
        air_index = normal_air.pop() if normal_air else None
        entities = _booking_entities(builder, booking)
        entities.update(listed_ids=[entry_id], company_names=[name], shared_phones=[traveller.phone])
        if air_index is not None:
            consignment = replace(world.air[air_index], shipper_key=company.key)
            world.air[air_index] = consignment
            entities["awbs"] = [consignment.awb]
        world.planted.append(PlantedPattern(
            pattern="shared-contact", description="a traveller's PNR contact phone is the phone of a watchlisted "
            "shipper", entities=entities))

    # Goods declared far below the normal value per kilogram for their HS chapter.
    norms = ref.hs_chapter_norms()
    candidates: list[tuple[str, int]] = [("air", i) for i in normal_air] + [("sea", i) for i in range(len(world.sea))]
    rng.shuffle(candidates)
    undervalued = _take(candidates, _count(rate, len(candidates)))
    normal_air = [i for i in normal_air if ("air", i) not in undervalued]
    for kind, index in undervalued:
        factor = rng.uniform(0.01, 0.05)
        if kind == "air":
            air = world.air[index]
            norm = norms[air.goods.goods.hs_code[:2]]
            goods = replace(air.goods, value=round(air.goods.weight_kg * norm * factor, 2))
            air = replace(air, goods=goods)
            world.air[index] = air
            builder.declaration_for(air)
            entities = {"awbs": [air.awb], "hs_codes": [goods.goods.hs_code],
                        **_trade_entities(builder, air.shipper_key, air.consignee_key)}
        else:
            sea = world.sea[index]
            lines = tuple(replace(g, value=round(g.weight_kg * norms[g.goods.hs_code[:2]] * factor, 2))
                          for g in sea.goods)
            sea = replace(sea, goods=lines)
            world.sea[index] = sea
            builder.declaration_for(sea)
            entities = {"bills_of_lading": [sea.bill_of_lading], "containers": list(sea.containers),
                        "hs_codes": [g.goods.hs_code for g in lines],
                        **_trade_entities(builder, sea.shipper_key, sea.consignee_key)}
        entities["declaration_refs"] = [world.declarations[-1].lrn]
        entities["value_per_kg_ratio"] = [f"{factor:.3f}"]
        entities["hs_chapter_norm_usd_per_kg"] = [f"{norms[entities['hs_codes'][0][:2]]:.2f}"]
        world.planted.append(PlantedPattern(
            pattern="undervalued", description="declared value per kg far below the HS chapter norm",
            entities=entities))

    # Routings via listed countries: travellers connecting from there, cargo loaded or transhipped there.
    for index in _take(normal_bookings, _count(rate, len(normal_bookings))):
        booking = world.bookings[index]
        inbound = world.flights[booking.flight_keys[-1]]
        risky = rng.choice(ref.RISKY_AIRPORTS)
        feeder = builder.flight(inbound.carrier, risky, inbound.origin, inbound.departure - timedelta(hours=2.5))
        booking = replace(booking, flight_keys=(feeder.key, *booking.flight_keys))
        world.bookings[index] = booking
        entities = _booking_entities(builder, booking)
        entities["countries"] = [ref.AIRPORTS[risky][0]]
        world.planted.append(PlantedPattern(
            pattern="risky-routing", description=f"itinerary starts in a listed country ({risky})",
            entities=entities))
    for index in _take(normal_air, _count(rate, len(world.air))):
        air = world.air[index]
        risky = rng.choice(ref.RISKY_AIRPORTS)
        air = replace(air, origin=risky, routing=(world.flights[air.flight_key].origin, air.destination))
        world.air[index] = air
        world.planted.append(PlantedPattern(
            pattern="risky-routing", description=f"air cargo from a listed country ({risky}) via "
            f"{air.routing[0]}", entities={"awbs": [air.awb], "countries": [ref.AIRPORTS[risky][0]],
                                           **_trade_entities(builder, air.shipper_key, air.consignee_key)}))
    sea_indexes = list(range(len(world.sea)))
    rng.shuffle(sea_indexes)
    for index in _take(sea_indexes, _count(rate, len(world.sea))):
        port, country = rng.choice(sorted(ref.RISKY_SEA_PORTS.items()))
        hub = rng.choice(("CNSHA", "KRPUS", "SGSIN"))
        sea = replace(world.sea[index], port_of_loading=port, itinerary=(country, ref.SEA_PORTS[hub], "JP"))
        world.sea[index] = sea
        world.planted.append(PlantedPattern(
            pattern="risky-routing", description=f"sea cargo loaded in a listed country ({port})",
            entities={"bills_of_lading": [sea.bill_of_lading], "containers": list(sea.containers),
                      "countries": [country], **_trade_entities(builder, sea.shipper_key, sea.consignee_key)}))


def _take(pool: list[Any], count: int) -> list[Any]:
    """Remove and return up to ``count`` items from the end of a shuffled pool (so patterns do not overlap)."""
    taken = pool[-count:] if count else []
    del pool[len(pool) - len(taken):]
    return taken


def _trade_entities(builder: WorldBuilder, *company_keys: str) -> dict[str, list[str]]:
    companies = [builder.world.companies[key] for key in company_keys]
    return {"company_keys": [c.key for c in companies], "company_names": [c.name for c in companies]}


def _booking_entities(builder: WorldBuilder, booking: Booking) -> dict[str, list[str]]:
    people = [builder.world.people[key] for key in booking.passenger_keys]
    return {"record_locators": [booking.locator], "person_keys": [p.key for p in people],
            "passport_numbers": [p.passport for p in people], "person_names": [p.full_name for p in people],
            "flights": list(booking.flight_keys)}


__all__ = ["listed_companies", "load_scenario", "plant_random_patterns",
           "plant_scenario"]
