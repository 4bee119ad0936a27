"""The planted scenario (``data/planted/world.yaml``) as canonical records, linked into a small graph.

It lets the API and the analyst page run without the stack (``sekisho serve --sample``) and gives the
API's tests a story with a known answer: the consignee of the undervalued cargo shares a phone with a
traveller whose cash booking was paid by an SDN-listed company. The graph is built by the real link
stage (``graph.links.links_of``) and risk by the real propagation (``graph.analytics.propagate_risk``);
only parsing and screening are replaced by records and hits written directly from the scenario.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from graph.analytics import propagate_risk
from graph.links import links_of
from schemas.records import (
    Address,
    Booking,
    Consignment,
    CrawledPage,
    FlightLeg,
    GoodsItem,
    Mention,
    Party,
    Passenger,
    Record,
    ScreeningHit,
    TravelDocument,
    make_id,
)
from sekisho.settings import BUNDLED_DATA, Settings
from targeting.api.export import is_watch_worthy, risky_node_view
from targeting.api.memory_store import MemoryStore
from targeting.api.targets import alerts_for, score_arrivals
from targeting.api.views import WatchlistEntry
from targeting.rules import RuleBook

SOURCE = "planted"
FORMAT = "canonical-json"


PLANTED_WORLD = "planted/world.yaml"  # under the data directory


def load_world(path: Path = BUNDLED_DATA / PLANTED_WORLD) -> dict[str, Any]:
    world: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return world


def _address(raw: dict[str, Any]) -> Address:
    return Address(
        lines=raw.get("lines", []),
        city=raw.get("city"),
        postcode=raw.get("postcode"),
        country=raw.get("country"),
    )


def planted_records(world: dict[str, Any], day: date) -> list[Record]:
    """The scenario's travellers, booking, flights, trade parties, consignment and web pages."""
    received = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    common: dict[str, Any] = {"source_format": FORMAT, "source": SOURCE, "received_at": received}
    listed = {entry["id"]: entry for entry in world["listed"]}
    records: list[Record] = []

    flights: dict[str, FlightLeg] = {}
    for flight in world["flights"]:
        leg = FlightLeg(
            id=make_id("flight_leg", flight["carrier"], flight["flight_number"], day),
            **common,
            carrier=flight["carrier"],
            flight_number=flight["flight_number"],
            departure_airport=flight["from"],
            arrival_airport=flight["to"],
            flight_date=day,
        )
        flights[flight["carrier"]] = leg
        records.append(leg)

    people = {person["key"]: person for person in world["people"]}
    for booking in world["bookings"]:
        booking_id = make_id("booking", booking["carrier"], booking["record_locator"])
        leg = flights[booking["carrier"]]
        payer = listed.get(booking["payer"])
        passenger_ids: list[str] = []
        for key in booking["passengers"]:
            person = people[key]
            passenger = Passenger(
                id=make_id("passenger", person["passport_country"], person["passport"], booking["record_locator"]),
                **common,
                surname=person["surname"],
                given_names=person["given_names"],
                full_name=f"{person['given_names']} {person['surname']}",
                date_of_birth=date.fromisoformat(person["date_of_birth"]),
                gender=person["gender"],
                nationality=person["nationality"],
                documents=[
                    TravelDocument(doc_type="P", number=person["passport"], issuing_country=person["passport_country"])
                ],
                address=_address(person["address"]),
                phones=[person["phone"]],
                emails=[person["email"]],
                booking_id=booking_id,
                record_locator=booking["record_locator"],
                flight_leg_ids=[leg.id],
                embarkation=leg.departure_airport,
                debarkation=leg.arrival_airport,
            )
            passenger_ids.append(passenger.id)
            records.append(passenger)
        hits = []
        if payer is not None:
            hits.append(
                ScreeningHit(
                    entry_id=str(payer["id"]).removeprefix("sdn-"),
                    list_name=payer["list"],
                    matched_name=payer["name"],
                    query_name=payer["name"],
                    score=0.97,
                    explanation="exact name match",
                    schema_name=payer.get("schema"),
                    field="payer_name",
                )
            )
        records.append(
            Booking(
                id=booking_id,
                **common,
                record_locator=booking["record_locator"],
                carrier=booking["carrier"],
                created_at=received - timedelta(hours=booking["booked_hours_before_departure"]),
                passenger_ids=passenger_ids,
                flight_leg_ids=[leg.id],
                one_way=booking["one_way"],
                form_of_payment=booking["form_of_payment"],
                payer_name=payer["name"] if payer else None,
                screening=hits,
            )
        )

    companies: dict[str, Party] = {}
    for company in world["companies"]:
        party = Party(
            id=make_id("party", company["name"], company["country"]),
            **common,
            name=company["name"],
            schema_name="Company",
            roles=[company["role"]],
            address=_address(company["address"]),
            phones=[company["phone"]],
            emails=[company["email"]],
        )
        companies[company["key"]] = party
        records.append(party)

    for cons in world["consignments"]:
        shipper, consignee = companies[cons["shipper"]], companies[cons["consignee"]]
        records.append(
            Consignment(
                id=make_id("consignment", cons["awb"]),
                **common,
                transport_document=cons["awb"],
                document_type="MAWB",
                transport_mode="air",
                origin=cons["origin"],
                destination=cons["destination"],
                port_of_arrival=cons["destination"],
                arrival_date=day,
                shipper_id=shipper.id,
                consignee_id=consignee.id,
                shipper_name=shipper.name,
                consignee_name=consignee.name,
                goods=[
                    GoodsItem(
                        description=cons["description"],
                        hs_code=cons["hs_code"],
                        package_count=cons["pieces"],
                        gross_weight_kg=cons["weight_kg"],
                    )
                ],
                total_pieces=cons["pieces"],
                total_weight_kg=cons["weight_kg"],
                declared_value=cons["declared_value"],
                currency=cons["currency"],
            )
        )

    for name, page in world["web"].items():
        url = f"http://fixture.sekisho.test/{name}"
        mentions = [
            Mention(label="ORG", text=m, start=0, end=len(m), field="text")
            for m in page.get("mentions", [])
            if m.isupper()
        ]
        records.append(
            CrawledPage(
                id=make_id("crawled_page", url),
                **common,
                url=url,
                canonical_url=url,
                source_name="fixture",
                kind="listing" if "price" in page else "article",
                title=page["title"],
                text=page["title"],
                price=page.get("price"),
                price_currency=page.get("currency"),
                seller=page.get("seller"),
                ship_from=page.get("ship_from"),
                phones=[page["phone"]] if "phone" in page else [],
                mentions=mentions,
                # Graded like the fixture site's sources (crawlers/sources): marketplace C3, news B2.
                reliability="C" if "price" in page else "B",
                credibility=3 if "price" in page else 2,
            )
        )
    return records


def sample_store(settings: Settings, day: date | None = None, world: dict[str, Any] | None = None) -> MemoryStore:
    """A ``MemoryStore`` holding the planted story and its graph, arriving on ``day`` (default today),
    scored with ``settings``' rules and weights."""
    w = world or load_world(settings.data_dir / PLANTED_WORLD)
    the_day = day or datetime.now(UTC).date()
    store = MemoryStore()
    records = planted_records(w, the_day)
    store.add_records(records)
    for record in records:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))

    for entry in w["listed"]:
        store.watchlist_entries.append(
            WatchlistEntry(
                id=str(entry["id"]),
                list_name=entry["list"],
                schema_name=entry.get("schema", "LegalEntity"),
                name=entry["name"],
                aliases=[entry["alias"]] if entry.get("alias") else [],
                updated=the_day - timedelta(days=400),
                reason="sanctions list entry",
            )
        )
    risky = [n for n in store.graph.all().nodes.values() if is_watch_worthy(n)]
    store.watchlist_entries.extend(risky_node_view(n, the_day) for n in risky)

    rules = RuleBook(settings.targeting_rules_dir).current()
    for port in store.ports(the_day):
        scores = score_arrivals(store, port, the_day, rules, settings)
        store.alert_list.extend(alerts_for(scores, settings))
    return store


def index_planted(settings: Settings, day: date | None = None) -> list[Record]:
    """Write the planted records, their graph (linked, risk propagated) and their alerts to Elasticsearch.

    What the stream does for fed messages, done directly: for demos and tests of the Elasticsearch-backed API.
    """
    from graph.store import EsGraphStore, link_records, refresh_risk
    from sekisho import es_io
    from targeting.api.es_store import EsStore

    the_day = day or datetime.now(UTC).date()
    records = planted_records(load_world(settings.data_dir / PLANTED_WORLD), the_day)
    es_io.write_records(records, settings)
    graph = EsGraphStore(settings)
    graph.ensure()
    _, ids = link_records(records, graph)
    graph.refresh()
    refresh_risk(graph, ids)
    es_io.refresh(settings)
    store = EsStore(settings)
    rules = RuleBook(settings.targeting_rules_dir).current()
    alerts = [
        a
        for port in store.ports(the_day)
        for a in alerts_for(score_arrivals(store, port, the_day, rules, settings), settings)
    ]
    es_io.write_records(alerts, settings)
    es_io.refresh(settings)
    return records
