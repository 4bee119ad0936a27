"""The day's queue and alerts for the API, computed with ``targeting`` from what a ``Store`` holds.

``targeting`` scores one record given what surrounds it (``Related``) and builds a queue from scores;
this module gathers those surroundings from the store (booking, flight legs, trade parties, graph
node) for the records arriving at a port, so the API can answer for any port and day on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from graph.model import Node
from schemas.records import Booking, Consignment, FlightLeg, Party, Passenger, Record, record_from_dict
from sekisho.settings import Settings
from targeting.alerts import Alert, alert_for
from targeting.facts import Related
from targeting.queue import Capacity, InspectionQueue, build_queue
from targeting.rules import RuleSet
from targeting.scoring import TargetScore, score_record

if TYPE_CHECKING:
    from targeting.api.store import Store


class ArrivalSource(Protocol):
    """What scoring needs from a store."""

    def arrivals(self, port: str, day: date) -> list[Record]: ...

    def document(self, entity_id: str) -> dict[str, object] | None: ...

    def nodes(self, ids: Sequence[str]) -> list[Node]: ...


def _record(source: ArrivalSource, record_id: str | None) -> Record | None:
    if not record_id:
        return None
    doc = source.document(record_id)
    if doc is None:
        return None
    try:
        return record_from_dict(dict(doc))
    except ValueError:
        return None


def related_for(source: ArrivalSource, record: Record) -> Related:
    """The booking, flight legs, trade parties and graph node around ``record``."""
    nodes = {n.id: n for n in source.nodes([record.id])}
    if isinstance(record, Passenger):
        booking = _record(source, record.booking_id)
        legs = [leg for leg in (_record(source, i) for i in record.flight_leg_ids) if isinstance(leg, FlightLeg)]
        return Related(
            booking=booking if isinstance(booking, Booking) else None,
            flights=legs,
            graph_node=nodes.get(record.id),
        )
    if isinstance(record, Consignment):
        ids = [record.shipper_id, record.consignee_id, record.notify_party_id]
        parties = {p.id: p for p in (_record(source, i) for i in ids) if isinstance(p, Party)}
        return Related(parties=parties, graph_node=nodes.get(record.id))
    return Related(graph_node=nodes.get(record.id))


def score_arrivals(
    source: ArrivalSource, port: str, day: date, rules: RuleSet, settings: Settings
) -> list[TargetScore]:
    return [
        score_record(
            record,
            related_for(source, record),
            rules,
            settings.targeting_weights,
            duty_rate=settings.targeting_duty_rate,
        )
        for record in source.arrivals(port, day)
    ]


def queue_for(scores: Sequence[TargetScore], port: str, day: date, settings: Settings) -> InspectionQueue:
    return build_queue(
        scores,
        Capacity(xray=settings.targeting_xray_slots, exams=settings.targeting_exam_slots),
        port=port,
        day=day,
        random_share=settings.targeting_random_share,
        detection=settings.targeting_detection,
        revenue_per_finding=settings.targeting_revenue_per_finding,
    )


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
