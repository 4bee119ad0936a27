"""Where targeting reads records and graph nodes from: Elasticsearch, or records held in memory.

``score_arrivals`` is the whole targeting path for a port and day: find the passengers and
consignments arriving, gather what is related to each (booking, flight legs, trade parties, graph
node), apply the rules in force and score them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from graph.analytics import InMemoryGraph, propagate_risk
from graph.keys import flight_number_key
from graph.links import links_of
from graph.model import Node
from resolution.clusters import Resolver
from resolution.graph_links import entity_edges
from schemas.records import Booking, Consignment, FlightLeg, Party, Passenger, Record, record_from_dict
from sekisho.settings import Settings
from targeting.facts import Related
from targeting.queue import InspectionQueue
from targeting.rules import RuleSet
from targeting.scoring import TargetScore, score_record


class TargetSource(Protocol):
    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]: ...

    def arrivals(self, port: str, day: date) -> list[Record]: ...

    def graph_node(self, node_id: str) -> Node | None: ...

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]: ...

    def entity_of(self, record_id: str) -> str | None:
        """The canonical entity of a record, when resolution has seen it."""
        ...

    def entity_members(self, record_id: str) -> list[str]:
        """The records of the record's entity, itself included (only itself when it was never merged)."""
        ...


def _booking_of(record: Passenger, source: TargetSource) -> Booking | None:
    if not record.booking_id:
        return None
    found = source.records("booking", [record.booking_id])
    return found[0] if found and isinstance(found[0], Booking) else None


def _parties_of(record: Consignment, source: TargetSource) -> dict[str, Party]:
    ids = [i for i in (record.consignee_id, record.shipper_id, record.notify_party_id) if i]
    return {p.id: p for p in source.records("party", ids) if isinstance(p, Party)} if ids else {}


def _member_related(member: Record, source: TargetSource, as_of: datetime | None) -> Related:
    """What another record of the entity adds to its facts: its booking or its trade parties. Its flight
    legs and graph risk are the entity's already (the same flights; ``same_as`` edges carry the risk)."""
    if isinstance(member, Passenger):
        return Related(booking=_booking_of(member, source), as_of=as_of)
    if isinstance(member, Consignment):
        return Related(parties=_parties_of(member, source), as_of=as_of)
    return Related(as_of=as_of)


def related_for(record: Record, source: TargetSource, as_of: datetime | None = None) -> Related:
    """The booking, flight legs and trade parties of a target, its graph node, and the other records of its
    entity with what each adds (rules see the entity, not one feed's record of it)."""
    booking: Booking | None = None
    flights: list[FlightLeg] = []
    parties: dict[str, Party] = {}
    if isinstance(record, Passenger):
        booking = _booking_of(record, source)
        leg_ids = list(record.flight_leg_ids) or (list(booking.flight_leg_ids) if booking else [])
        flights = [leg for leg in source.records("flight_leg", leg_ids) if isinstance(leg, FlightLeg)]
    elif isinstance(record, Consignment):
        parties = _parties_of(record, source)
        if record.carrier and record.flight_number:
            flights = source.flights_numbered(record.carrier, record.flight_number)
    others = [member for member in source.entity_members(record.id) if member != record.id]
    members = [
        (member, _member_related(member, source, as_of))
        for member in (source.records(record.record_type, others) if others else [])
    ]
    return Related(
        booking=booking,
        flights=flights,
        parties=parties,
        graph_node=source.graph_node(record.id),
        as_of=as_of,
        entity_id=source.entity_of(record.id),
        members=tuple(members),
    )


def score_arrivals(
    source: TargetSource, port: str, day: date, rules: RuleSet, settings: Settings
) -> list[TargetScore]:
    s = settings
    return [
        score_record(record, related_for(record, source), rules, s.targeting_weights, duty_rate=s.targeting_duty_rate)
        for record in source.arrivals(port, day)
    ]


def _spellings(carrier: str, flight_number: str) -> list[str]:
    """How feeds write one flight number: 500, 0500, CX500."""
    key = flight_number_key(carrier, flight_number)
    if key is None:
        return []
    number = key[len(carrier.strip()) :]
    return sorted({number, number.zfill(3), number.zfill(4), key})


class MemorySource:
    """Records in memory (a JSONL file, a test, the demo), linked and propagated in an in-memory graph."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._by_id: dict[str, Record] = {}
        graph = InMemoryGraph()
        for record in records:
            self._by_id[record.id] = record
            graph.add(*links_of(record))
        self.resolver = Resolver()
        changes = self.resolver.add(self._by_id.values())
        graph.add([], entity_edges(self.resolver, changes.records))
        self.graph = graph
        self._nodes = {node.id: node for node in propagate_risk(graph.all())}
        graph.replace_nodes(self._nodes.values())

    @classmethod
    def from_jsonl(cls, paths: Sequence[Path]) -> MemorySource:
        records = []
        for path in paths:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    records.append(record_from_dict(json.loads(line)))
        return cls(records)

    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]:
        found = [self._by_id.get(i) for i in ids]
        return [r for r in found if r is not None and r.record_type == record_type]

    def all(self) -> list[Record]:
        return list(self._by_id.values())

    def arrivals(self, port: str, day: date) -> list[Record]:
        from targeting.scoring import port_and_day

        found: list[Record] = []
        for record in self._by_id.values():
            if isinstance(record, (Passenger, Consignment)):
                where, when = port_and_day(record, related_for(record, self))
                if (where or "").upper() == port.upper() and when == day:
                    found.append(record)
        return found

    def graph_node(self, node_id: str) -> Node | None:
        return self._nodes.get(node_id)

    def entity_of(self, record_id: str) -> str | None:
        return self.resolver.entity_of(record_id) if record_id in self.resolver else None

    def entity_members(self, record_id: str) -> list[str]:
        return self.resolver.members(record_id) if record_id in self.resolver else [record_id]

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        wanted = flight_number_key(carrier, flight_number)
        return [
            r
            for r in self._by_id.values()
            if isinstance(r, FlightLeg) and flight_number_key(r.carrier, r.flight_number) == wanted
        ]


class EsSource:
    """Records and graph nodes from the namespace's Elasticsearch indices."""

    def __init__(self, settings: Settings, page: int = 10_000) -> None:
        self.settings = settings
        self.page = page

    def _search(self, record_type: str, query: Mapping[str, Any]) -> list[Record]:
        from sekisho import es_io

        hits = es_io.search(record_type, query, self.settings, size=self.page)
        return [record_from_dict({k: v for k, v in hit.items() if not k.startswith("_")}) for hit in hits]

    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]:
        wanted = sorted(set(ids))
        return self._search(record_type, {"ids": {"values": wanted}}) if wanted else []

    def arrivals(self, port: str, day: date) -> list[Record]:
        span = {"gte": day.isoformat(), "lt": (day + timedelta(days=1)).isoformat()}
        found_legs = self._search(
            "flight_leg",
            {
                "bool": {
                    "filter": [{"term": {"arrival_airport": port.upper()}}],
                    "should": [{"range": {"arrival_time": span}}, {"term": {"flight_date": day.isoformat()}}],
                    "minimum_should_match": 1,
                }
            },
        )
        legs = [leg for leg in found_legs if isinstance(leg, FlightLeg)]
        passengers = self._search("passenger", {"terms": {"flight_leg_ids": [leg.id for leg in legs]}}) if legs else []
        at_port = {
            "bool": {
                "should": [{"term": {"port_of_arrival": port.upper()}}, {"term": {"destination": port.upper()}}],
                "minimum_should_match": 1,
            }
        }
        # A consignment arrives on its arrival date, or, when it has none (manifests and waybills), on
        # the day of the flight it is on.
        flights = sorted({spelling for leg in legs for spelling in _spellings(leg.carrier, leg.flight_number)})
        when: list[dict[str, Any]] = [{"term": {"arrival_date": day.isoformat()}}]
        if flights:
            when.append(
                {
                    "bool": {
                        "must_not": [{"exists": {"field": "arrival_date"}}],
                        "filter": [{"terms": {"flight_number": flights}}],
                    }
                }
            )
        found = self._search("consignment", {"bool": {"filter": [at_port], "should": when, "minimum_should_match": 1}})
        carriers = {leg.carrier.upper() for leg in legs}
        consignments = [
            c
            for c in found
            if isinstance(c, Consignment) and (c.arrival_date is not None or (c.carrier or "").upper() in carriers)
        ]
        return [*passengers, *consignments]

    def graph_node(self, node_id: str) -> Node | None:
        from graph.store import EsGraphStore

        return EsGraphStore(self.settings).node(node_id)

    def entity_of(self, record_id: str) -> str | None:
        from resolution.store import EsResolutionStore

        membership = EsResolutionStore(self.settings).memberships([record_id]).get(record_id)
        return membership.entity_id if membership else None

    def entity_members(self, record_id: str) -> list[str]:
        from resolution.store import EsResolutionStore

        membership = EsResolutionStore(self.settings).memberships([record_id]).get(record_id)
        return list(membership.members) if membership and membership.members else [record_id]

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        spellings = _spellings(carrier, flight_number)
        if not spellings:
            return []
        query = {
            "bool": {
                "filter": [{"term": {"carrier": carrier.strip().upper()}}, {"terms": {"flight_number": spellings}}]
            }
        }
        legs = self._search("flight_leg", query)
        return [leg for leg in legs if isinstance(leg, FlightLeg)]


def queue_for(
    port: str,
    day: date,
    *,
    source: TargetSource | None = None,
    rules: RuleSet | None = None,
    xray: int | None = None,
    exams: int | None = None,
    random_share: float | None = None,
    seed: int = 0,
    settings: Settings,
) -> InspectionQueue:
    """The explained inspection queue of a port and day (what the CLI and the API show)."""
    from targeting.queue import Capacity, build_queue, min_score_for
    from targeting.rules import RuleBook

    s = settings
    ruleset = rules if rules is not None else RuleBook(s.targeting_rules_dir).current()
    scores = score_arrivals(source or EsSource(s), port, day, ruleset, s)
    capacity = Capacity(
        xray=s.targeting_xray_slots if xray is None else xray,
        exams=s.targeting_exam_slots if exams is None else exams,
    )
    return build_queue(
        scores,
        capacity,
        port=port,
        day=day,
        seed=seed,
        detection=s.targeting_detection,
        random_share=s.targeting_random_share if random_share is None else random_share,
        revenue_per_finding=s.targeting_revenue_per_finding,
        min_score=min_score_for(port, s.targeting_min_score, s.targeting_min_score_by_port),
    )
