"""The targeting score of a passenger or consignment: four visible parts combined by noisy-OR.

Parts: the risk model (``record.risk``), watchlist screening (``record.screening``), graph risk (the
record's node after propagation) and analyst rules. Each part is a value in [0, 1] times its weight;
the score is ``1 - prod(1 - weight * value)``, so one strong part is enough to rank high, several
medium parts add up, and no part is ever hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import Field

from graph.keys import compact_key
from schemas.records import Consignment, EvidenceLink, FlightLeg, Frozen, Passenger, Record, make_id
from targeting.facts import Facts, Related, facts_of
from targeting.rules import RuleHit, RuleSet

PartName = Literal["model", "screening", "graph", "rules"]
DEFAULT_WEIGHTS: dict[str, float] = {"model": 0.6, "screening": 0.9, "graph": 0.8, "rules": 1.0}


class ScorePart(Frozen):
    name: PartName
    value: float
    weight: float
    contribution: float
    reasons: list[str] = Field(default_factory=list)


class RuleFired(Frozen):
    rule_id: str
    title: str
    weight: float
    severity: str
    alert: bool
    because: list[str] = Field(default_factory=list)


class TargetScore(Frozen):
    """A scored target with every part and the sentences that explain it."""

    id: str
    record_id: str
    record_type: str
    label: str
    port: str | None = None
    day: date | None = None
    score: float
    parts: list[ScorePart]
    rules: list[RuleFired] = Field(default_factory=list)
    explanation: list[str] = Field(default_factory=list)
    graph_path: list[str] = Field(default_factory=list)
    # The archived web pages (and their grades) behind the graph path's edges that crawled pages asserted.
    evidence: list[EvidenceLink] = Field(default_factory=list)
    expected_revenue: float = 0.0  # duty at stake if the declaration is wrong (USD)
    # One target seen by several feeds (API and PNR; manifest and waybill) has one key: the queue
    # inspects it once and alerts on it once. ``entity:<canonical id>`` when resolution knows the record.
    target_key: str = ""
    scored_at: datetime | None = None

    def part(self, name: PartName) -> ScorePart:
        return next(p for p in self.parts if p.name == name)

    @property
    def alert_rules(self) -> list[RuleFired]:
        return [rule for rule in self.rules if rule.alert]


def _clip(value: float | None) -> float:
    return 0.0 if value is None else max(0.0, min(1.0, float(value)))


def _label(record: Record) -> str:
    if isinstance(record, Passenger):
        return record.full_name
    if isinstance(record, Consignment):
        who = record.consignee_name or record.consignee_id or "?"
        return f"{record.transport_document} to {who}"
    return record.id


def target_key(record: Record) -> str:
    if isinstance(record, Passenger):
        for document in record.documents:
            number = compact_key(document.number, min_length=5)
            if number:
                return f"document:{document.issuing_country or ''}:{number}"
    if isinstance(record, Consignment):
        number = compact_key(record.transport_document)
        if number:
            return f"transport_document:{number}"
    return f"record:{record.id}"


def port_and_day(record: Record, related: Related) -> tuple[str | None, date | None]:
    """Where and when the target arrives: the port and day its inspection queue is for."""
    if isinstance(record, Passenger):
        legs = [leg for leg in related.flights if leg.arrival_airport]
        port = record.debarkation or (legs[-1].arrival_airport if legs else None)
        arriving = [leg for leg in legs if leg.arrival_airport == port] or legs
        day = None
        if arriving:
            leg = arriving[-1]
            day = (leg.arrival_time.date() if leg.arrival_time else None) or leg.flight_date
        if day is None and record.received_at:
            day = record.received_at.date()
        return port, day
    if isinstance(record, Consignment):
        port = record.port_of_arrival or record.destination
        day = record.arrival_date
        if day is None:
            # Manifests and waybills often carry only the flight: its arrival day is the consignment's.
            days = sorted(
                {
                    d
                    for d in (_leg_day(leg) for leg in related.flights if leg.arrival_airport in (None, port))
                    if d is not None
                }
            )
            received = record.received_at.date() if record.received_at else None
            if len(days) == 1 or (days and received is None):
                day = days[-1]
            elif days and received is not None:
                day = min(days, key=lambda d: abs((d - received).days))
            else:
                day = received
        return port, day
    return None, record.received_at.date() if record.received_at else None


def _leg_day(leg: FlightLeg) -> date | None:
    return (leg.arrival_time.date() if leg.arrival_time else None) or leg.flight_date


def expected_revenue(facts: Facts, duty_rate: float) -> float:
    """Duty on the value missing against the chapter norm (0 when not undervalued or not known)."""
    norm = facts.get("consignment.value_per_kg_norm")
    weight = facts.get("consignment.weight_kg")
    value = facts.get("consignment.declared_value")
    if not norm or not weight or value is None:
        return 0.0
    gap = float(norm) * float(weight) - float(value)
    return round(max(0.0, gap) * duty_rate, 2)


def score_record(
    record: Record,
    related: Related | None = None,
    rules: RuleSet | None = None,
    weights: Mapping[str, float] | None = None,
    *,
    duty_rate: float = 0.1,
    now: datetime | None = None,
) -> TargetScore:
    """Score one passenger or consignment (other record types score on their common parts only)."""
    related = related or Related()
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    facts = facts_of(record, related)
    hits: list[RuleHit] = (rules or RuleSet()).apply(facts)

    model_value = _clip(record.risk.score) if record.risk else 0.0
    model_reasons = list(record.risk.reasons[:3]) if record.risk else []
    if record.risk:
        model_reasons.insert(0, f"risk model {record.risk.model}: {record.risk.score:.2f}")

    screening = sorted(record.screening, key=lambda h: -h.score)
    screening_value = _clip(screening[0].score) if screening else 0.0
    screening_reasons = [
        f"{h.list_name}: {h.query_name} ~ {h.matched_name} ({h.score:.2f}; {h.explanation})" for h in screening[:3]
    ]

    node = related.graph_node
    graph_value = _clip(node.graph_risk) if node else 0.0
    graph_reasons = [node.risk_explanation] if node and node.risk_explanation and graph_value > 0 else []
    if node and node.seized:
        graph_reasons.insert(0, "previously seized")

    rules_value = 1.0
    for hit in hits:
        rules_value *= 1.0 - _clip(hit.weight)
    rules_value = 1.0 - rules_value
    rule_reasons = [hit.sentence for hit in hits]

    parts = []
    remaining = 1.0
    for name, value, reasons in (
        ("model", model_value, model_reasons),
        ("screening", screening_value, screening_reasons),
        ("graph", graph_value, graph_reasons),
        ("rules", rules_value, rule_reasons),
    ):
        weight = _clip(weights.get(name, 0.0))
        contribution = round(weight * value, 4)
        remaining *= 1.0 - contribution
        parts.append(
            ScorePart(
                name=name,
                value=round(value, 4),
                weight=weight,
                contribution=contribution,
                reasons=reasons,
            )
        )
    score = round(1.0 - remaining, 4)
    # Graph paths first: they say who the target is connected to, which is what an officer checks.
    order = {"graph": 0, "screening": 1, "rules": 2, "model": 3}
    explanation = [
        f"{p.name}: {reason}"
        for p in sorted(parts, key=lambda p: order[p.name])
        if p.contribution > 0
        for reason in (p.reasons or ["(no detail)"])
    ]
    port, day = port_and_day(record, related)
    return TargetScore(
        id=make_id("target_score", record.id),
        record_id=record.id,
        record_type=record.record_type,
        label=_label(record),
        port=port,
        day=day,
        score=score,
        parts=parts,
        rules=[
            RuleFired(
                rule_id=h.rule_id,
                title=h.title,
                weight=h.weight,
                severity=h.severity,
                alert=h.alert,
                because=h.because,
            )
            for h in hits
        ],
        explanation=explanation,
        graph_path=list(node.risk_path) if node and graph_value > 0 else [],
        evidence=list(node.risk_evidence) if node and graph_value > 0 else [],
        expected_revenue=expected_revenue(facts, duty_rate),
        target_key=f"entity:{related.entity_id}" if related.entity_id else target_key(record),
        scored_at=now or datetime.now(UTC),
    )
