"""The day's queue and alerts for the API, computed with ``targeting`` from what a ``Store`` holds.

``targeting`` scores one record given what surrounds it (``Related``) and builds a queue from scores;
this module gathers those surroundings from the store (booking, flight legs, trade parties, graph
node) for the records arriving at a port, so the API can answer for any port and day on request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from graph.model import Node
from schemas.documents import Alert
from schemas.records import FlightLeg, Record, record_from_dict
from sekisho.settings import Settings
from targeting import sources
from targeting.alerts import alert_for
from targeting.queue import Capacity, InspectionQueue, LaneRecord, build_queue, min_score_for
from targeting.rules import RuleSet
from targeting.scoring import TargetScore

if TYPE_CHECKING:
    from targeting.api.store import Store


class StoreTargets:
    """targeting's ``TargetSource`` over the API's ``Store``, so the API scores with exactly the code
    the CLI, the demo and the worker use (``targeting.sources``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]:
        found: list[Record] = []
        for record_id in ids:
            doc = self.store.document(record_id)
            if doc is not None and doc.get("record_type") == record_type:
                found.append(record_from_dict(dict(doc)))
        return found

    def arrivals(self, port: str, day: date) -> list[Record]:
        return self.store.arrivals(port, day)

    def graph_node(self, node_id: str) -> Node | None:
        nodes = self.store.nodes([node_id])
        return nodes[0] if nodes else None

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        return self.store.flights_numbered(carrier, flight_number)

    def entity_of(self, record_id: str) -> str | None:
        return self.store.entity_of(record_id)

    def entity_members(self, record_id: str) -> list[str]:
        entity = self.store.entity_of(record_id)
        members = [membership.id for membership in self.store.entity_members(entity)] if entity else []
        return members or [record_id]


def score_arrivals(store: Store, port: str, day: date, rules: RuleSet, settings: Settings) -> list[TargetScore]:
    return sources.score_arrivals(StoreTargets(store), port, day, rules, settings)


def queue_for(
    scores: Sequence[TargetScore],
    port: str,
    day: date,
    settings: Settings,
    lane_records: Mapping[str, LaneRecord] | None = None,
) -> InspectionQueue:
    return build_queue(
        scores,
        Capacity(xray=settings.targeting_xray_slots, exams=settings.targeting_exam_slots),
        port=port,
        day=day,
        random_share=settings.targeting_random_share,
        detection=settings.targeting_detection,
        revenue_per_finding=settings.targeting_revenue_per_finding,
        min_score=min_score_for(port, settings.targeting_min_score, settings.targeting_min_score_by_port),
        lane_records=lane_records,
    )


def port_workloads(store: Store, day: date, rules: RuleSet, settings: Settings) -> list[tuple[str, int, int]]:
    """(port, pending picks, arrivals) of each port with arrivals on ``day``, most pending work first:
    the queue page opens on the first."""
    loads = []
    for port in store.ports(day):
        queue = queue_for(score_arrivals(store, port, day, rules, settings), port, day, settings)
        loads.append((port, len(queue.picks), queue.candidates))
    return sorted(loads, key=lambda load: (-load[1], -load[2], load[0]))


def alerts_for(scores: Sequence[TargetScore], settings: Settings) -> list[Alert]:
    raised = (alert_for(score, settings.alert_threshold) for score in scores)
    return sorted((a for a in raised if a is not None), key=lambda a: -a.score)


def day_summary(store: Store, rules: RuleSet, settings: Settings, day: date, top: int = 5) -> list[str]:
    """The top of each port's queue and the latest alerts, as lines for a terminal."""
    lines: list[str] = []
    for port in store.ports(day):
        queue = queue_for(score_arrivals(store, port, day, rules, settings), port, day, settings)
        lines.append(f"queue {port} {day.isoformat()}: {len(queue.picks)} picks from {queue.candidates} arrivals")
        for pick in queue.picks[:top]:
            why = pick.explanation[0] if pick.explanation else pick.reason
            lines.append(
                f"  #{pick.rank} {pick.inspection:<4} {pick.selection:<6} {pick.score:.2f}  {pick.label}: {why}"
            )
    alerts = store.alerts(top)
    lines.append(f"latest alerts: {len(alerts)}")
    lines.extend(f"  {a.severity:<8} {a.score:.2f}  {a.title}" for a in alerts)
    return lines
