"""The X-ray and physical-examination queue of one port and day, within capacity.

Each candidate ``i`` has an expected value ``v_i = p_i * (1 + revenue_i / revenue_per_finding)``
(``p_i`` its targeting score, read as the chance something is there). Sending it to inspection ``k``
finds that with probability ``d_k`` (``detection``), so an assignment is worth ``sum d_k * v_i``. With
unit-size slots this is maximised by giving the best detection to the highest values (rearrangement
inequality): sort by value, fill exams first, then X-ray slots. Before that, a ``random_share`` of
each capacity is drawn uniformly at random from all candidates (seeded by port, day and seed), so
the model can be evaluated on inspections it did not choose (ASYCUDA keeps such a minimum random
rate); those picks are labelled as random exploration, never as risk.

Capacity is an upper bound, not a quota: a model pick needs at least the lane's minimum score
(``MinScore``, configured per port and lane). A slot nothing deserves stays empty and is reported as
unused, so officers' time is not spent on travellers the model found nothing about. Each lane also
reports its hit rate from the inspection results recorded at the port.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from schemas.documents import InspectionResult
from schemas.records import Frozen
from targeting.scoring import TargetScore

Inspection = Literal["exam", "xray"]
Selection = Literal["model", "random"]
DEFAULT_DETECTION: dict[str, float] = {"exam": 0.95, "xray": 0.6}


class Capacity(Frozen):
    xray: int = Field(default=20, ge=0)
    exams: int = Field(default=5, ge=0)

    def of(self, inspection: Inspection) -> int:
        return self.exams if inspection == "exam" else self.xray


class MinScore(Frozen):
    """The score a model pick needs, per lane (a physical examination costs more than an X-ray)."""

    exam: float = Field(default=0.5, ge=0, le=1)
    xray: float = Field(default=0.3, ge=0, le=1)

    def of(self, inspection: Inspection) -> float:
        return self.exam if inspection == "exam" else self.xray


def min_score_for(port: str, default: Mapping[str, float], by_port: Mapping[str, Mapping[str, float]]) -> MinScore:
    """The minimum scores of ``port``: the port's own values over the deployment's defaults."""
    own = {k.upper(): v for k, v in by_port.items()}.get(port.upper(), {})
    return MinScore.model_validate({**default, **own})


class LaneRecord(Frozen):
    """What inspections of one lane at a port found so far (from recorded inspection results)."""

    inspected: int = 0
    findings: int = 0


def lane_records(results: Iterable[InspectionResult], port: str) -> dict[str, LaneRecord]:
    """Per lane, how many recorded inspections at ``port`` found something (results naming no lane are
    officers' own choices and count for neither)."""
    counts: dict[str, list[int]] = {}
    for result in results:
        if result.inspection is None or (result.port or "").upper() != port.upper():
            continue
        tally = counts.setdefault(result.inspection, [0, 0])
        tally[0] += 1
        tally[1] += int(result.illicit)
    return {lane: LaneRecord(inspected=n, findings=found) for lane, (n, found) in counts.items()}


class LaneSummary(Frozen):
    inspection: Inspection
    capacity: int
    min_score: float
    model_picks: int
    random_picks: int
    unused: int  # slots left empty: no candidate reached the minimum score
    inspected: int = 0
    findings: int = 0
    hit_rate: float | None = None  # findings / inspected; None before any result was recorded


class QueuePick(Frozen):
    rank: int
    record_id: str
    record_type: str
    label: str
    inspection: Inspection
    selection: Selection
    score: float
    expected_value: float
    expected_revenue: float
    reason: str
    explanation: list[str] = Field(default_factory=list)
    same_target: list[str] = Field(default_factory=list)  # other records of the same target (other feeds)


class InspectionQueue(Frozen):
    port: str
    day: date
    capacity: Capacity
    min_score: MinScore = Field(default_factory=MinScore)
    random_share: float
    seed: int
    candidates: int
    below_min_score: int = 0  # candidates no lane's minimum score admits
    picks: list[QueuePick]
    lanes: list[LaneSummary] = Field(default_factory=list)
    expected_findings: float
    expected_revenue: float


def candidate_value(score: TargetScore, revenue_per_finding: float) -> float:
    return score.score * (1.0 + score.expected_revenue / max(revenue_per_finding, 1e-9))


def _rng(port: str, day: date, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{port}:{day.isoformat()}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _headline(score: TargetScore) -> str:
    return score.explanation[0] if score.explanation else "no risk indicator"


def _model_reason(score: TargetScore, inspection: Inspection, value: float) -> str:
    fired = ", ".join(rule.rule_id for rule in score.rules[:3])
    revenue = f", revenue at stake {score.expected_revenue:,.0f}" if score.expected_revenue else ""
    return (
        f"model pick for {'physical examination' if inspection == 'exam' else 'X-ray'}: score "
        f"{score.score:.2f}, expected value {value:.2f}{revenue}"
        + (f"; rules {fired}" if fired else "")
        + f"; {_headline(score)}"
    )


def build_queue(
    scores: Iterable[TargetScore],
    capacity: Capacity,
    *,
    port: str,
    day: date,
    random_share: float = 0.1,
    seed: int = 0,
    detection: Mapping[str, float] | None = None,
    revenue_per_finding: float = 1000.0,
    min_score: MinScore | None = None,
    lane_records: Mapping[str, LaneRecord] | None = None,
) -> InspectionQueue:
    """Choose and rank the inspections of ``port`` on ``day``; every pick says why.

    ``min_score`` defaults to ``MinScore()``; ``lane_records`` (per lane) give each lane's hit rate."""
    floor = min_score or MinScore()
    detect = {**DEFAULT_DETECTION, **(detection or {})}
    here = [s for s in scores if (s.port or "").upper() == port.upper() and s.day == day]
    # One target reported by several feeds is one candidate: its best-scored record stands for it.
    grouped: dict[str, list[TargetScore]] = {}
    for target in sorted(here, key=lambda s: (-s.score, s.record_id)):
        grouped.setdefault(target.target_key or target.record_id, []).append(target)
    candidates = sorted((group[0] for group in grouped.values()), key=lambda s: s.record_id)
    others = {group[0].record_id: sorted({s.record_id for s in group[1:]}) for group in grouped.values()}

    value = {s.record_id: candidate_value(s, revenue_per_finding) for s in candidates}
    order: list[Inspection] = sorted(("exam", "xray"), key=lambda k: -detect[k])
    share = max(0.0, min(1.0, random_share))

    picks: list[tuple[TargetScore, Inspection, Selection, str]] = []
    chosen: set[str] = set()
    rng = _rng(port.upper(), day, seed)
    for inspection in order:
        wanted = round(capacity.of(inspection) * share)
        pool = [s for s in candidates if s.record_id not in chosen]
        for drawn in rng.sample(pool, min(wanted, len(pool))):
            chosen.add(drawn.record_id)
            verdict = (f"its score {drawn.score:.2f} would have selected it too" if drawn.score >= floor.of(inspection)
                       else f"not a risk indication (score {drawn.score:.2f})")
            reason = (
                f"random exploration pick for {'physical examination' if inspection == 'exam' else 'X-ray'}: "
                f"drawn at random ({share:.0%} of capacity, seed {seed}) to evaluate the model on inspections "
                f"it did not choose; {verdict}"
            )
            picks.append((drawn, inspection, "random", reason))
    by_value = sorted(
        (s for s in candidates if s.record_id not in chosen), key=lambda s: (-value[s.record_id], s.record_id)
    )
    for inspection in order:
        free = capacity.of(inspection) - sum(1 for _, k, _, _ in picks if k == inspection)
        # Below the lane's minimum score a slot stays empty (and is reported unused), never padded.
        for target in [s for s in by_value if s.record_id not in chosen and s.score >= floor.of(inspection)][:free]:
            chosen.add(target.record_id)
            picks.append((target, inspection, "model", _model_reason(target, inspection, value[target.record_id])))
    ranked = sorted(picks, key=lambda p: (p[1] != order[0], p[2] != "model", -value[p[0].record_id]))
    queue_picks = [
        QueuePick(
            rank=rank,
            record_id=target.record_id,
            record_type=target.record_type,
            label=target.label,
            inspection=inspection,
            selection=selection,
            score=target.score,
            expected_value=round(detect[inspection] * value[target.record_id], 4),
            expected_revenue=round(detect[inspection] * target.score * target.expected_revenue, 2),
            reason=reason,
            explanation=list(target.explanation),
            same_target=others.get(target.record_id, []),
        )
        for rank, (target, inspection, selection, reason) in enumerate(ranked, 1)
    ]
    records = lane_records or {}
    lanes = []
    for inspection in ("exam", "xray"):
        lane: Inspection = "exam" if inspection == "exam" else "xray"
        used = [p for p in queue_picks if p.inspection == lane]
        seen = records.get(lane, LaneRecord())
        lanes.append(LaneSummary(
            inspection=lane,
            capacity=capacity.of(lane),
            min_score=floor.of(lane),
            model_picks=sum(p.selection == "model" for p in used),
            random_picks=sum(p.selection == "random" for p in used),
            unused=max(0, capacity.of(lane) - len(used)),
            inspected=seen.inspected,
            findings=seen.findings,
            hit_rate=round(seen.findings / seen.inspected, 4) if seen.inspected else None,
        ))
    lowest = min(floor.exam, floor.xray)
    return InspectionQueue(
        port=port.upper(),
        day=day,
        capacity=capacity,
        min_score=floor,
        random_share=share,
        seed=seed,
        candidates=len(candidates),
        below_min_score=sum(1 for s in candidates if s.score < lowest),
        picks=queue_picks,
        lanes=lanes,
        expected_findings=round(sum(detect[p.inspection] * p.score for p in queue_picks), 4),
        expected_revenue=round(sum(p.expected_revenue for p in queue_picks), 2),
    )


def queue_value(picks: Sequence[QueuePick]) -> float:
    return sum(p.expected_value for p in picks)
