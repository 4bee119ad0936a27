"""The inspection queue: capacity, optimality, seeded random share, explanations, port/day filter."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.documents import InspectionResult
from schemas.records import Consignment, GoodsItem, Passenger, RiskAssessment, make_id
from targeting.facts import Related
from targeting.queue import Capacity, MinScore, build_queue, candidate_value, lane_records, min_score_for
from targeting.scoring import ScorePart, TargetScore, score_record

DAY = date(2026, 11, 25)
NO_FLOOR = MinScore(exam=0.0, xray=0.0)  # the tests of value ordering admit any positive score


def target(n: int, score: float, revenue: float = 0.0, port: str = "NRT", day: date = DAY) -> TargetScore:
    part = ScorePart(name="model", value=score, weight=1.0, contribution=score, reasons=[f"reason {n}"])
    return TargetScore(
        id=f"t{n}",
        record_id=f"r{n:03d}",
        record_type="consignment",
        label=f"target {n}",
        port=port,
        day=day,
        score=score,
        parts=[part],
        explanation=[f"model: reason {n}"],
        expected_revenue=revenue,
    )


def test_capacity_respected_and_best_values_go_to_exams() -> None:
    scores = [target(i, i / 20) for i in range(20)]
    queue = build_queue(scores, Capacity(xray=4, exams=2), port="NRT", day=DAY, random_share=0.0, min_score=NO_FLOOR)
    assert [p.inspection for p in queue.picks] == ["exam", "exam", "xray", "xray", "xray", "xray"]
    assert [p.record_id for p in queue.picks] == ["r019", "r018", "r017", "r016", "r015", "r014"]
    assert [p.rank for p in queue.picks] == [1, 2, 3, 4, 5, 6]
    assert all(p.reason.startswith("model pick") and p.explanation for p in queue.picks)
    assert queue.candidates == 20


def test_revenue_at_stake_raises_a_lower_score() -> None:
    scores = [target(1, 0.5, revenue=0.0), target(2, 0.3, revenue=5000.0)]
    queue = build_queue(scores, Capacity(xray=0, exams=1), port="NRT", day=DAY, random_share=0.0, min_score=NO_FLOOR)
    assert queue.picks[0].record_id == "r002" and "revenue at stake 5,000" in queue.picks[0].reason


def test_random_share_is_seeded_and_explained() -> None:
    scores = [target(i, i / 100) for i in range(100)]
    first = build_queue(scores, Capacity(xray=20, exams=10), port="NRT", day=DAY, random_share=0.2, seed=7)
    again = build_queue(scores, Capacity(xray=20, exams=10), port="NRT", day=DAY, random_share=0.2, seed=7)
    other = build_queue(scores, Capacity(xray=20, exams=10), port="NRT", day=DAY, random_share=0.2, seed=8)
    randoms = [p for p in first.picks if p.selection == "random"]
    assert len(randoms) == 6 and sum(p.inspection == "exam" for p in randoms) == 2
    assert all("random exploration pick" in p.reason and "seed 7" in p.reason for p in randoms)
    assert first == again
    assert {p.record_id for p in other.picks if p.selection == "random"} != {p.record_id for p in randoms}
    assert len(first.picks) == 30 and len({p.record_id for p in first.picks}) == 30


def test_only_the_port_and_day_asked_for() -> None:
    scores = [target(1, 0.9, port="KIX"), target(2, 0.9, day=date(2026, 11, 26)), target(3, 0.1)]
    queue = build_queue(scores, Capacity(xray=5, exams=5), port="nrt", day=DAY, random_share=0.0, min_score=NO_FLOOR)
    assert [p.record_id for p in queue.picks] == ["r003"]


def test_zero_scores_leave_slots_free() -> None:
    queue = build_queue(
        [target(1, 0.0), target(2, 0.4)], Capacity(xray=2, exams=2), port="NRT", day=DAY, random_share=0.0
    )
    assert [p.record_id for p in queue.picks] == ["r002"]


def test_capacity_is_an_upper_bound_not_a_quota() -> None:
    """Travellers the model found nothing about do not fill the exam capacity: the slots stay unused."""
    scores = [target(1, 0.91), target(2, 0.42), *(target(i, 0.0) for i in range(3, 40))]
    queue = build_queue(scores, Capacity(xray=10, exams=5), port="NRT", day=DAY, random_share=0.0,
                        min_score=MinScore(exam=0.5, xray=0.3))
    assert [(p.record_id, p.inspection) for p in queue.picks] == [("r001", "exam"), ("r002", "xray")]
    exam, xray = queue.lanes
    assert (exam.inspection, exam.model_picks, exam.unused, exam.min_score) == ("exam", 1, 4, 0.5)
    assert (xray.inspection, xray.model_picks, xray.unused, xray.min_score) == ("xray", 1, 9, 0.3)
    assert queue.below_min_score == 37 and exam.hit_rate is None


def test_random_exploration_picks_are_kept_and_labelled() -> None:
    scores = [target(i, 0.0) for i in range(50)]
    queue = build_queue(scores, Capacity(xray=20, exams=10), port="NRT", day=DAY, random_share=0.1, seed=3)
    assert len(queue.picks) == 3 and all(p.selection == "random" for p in queue.picks)
    assert all(p.reason.startswith("random exploration pick") and "not a risk indication (score 0.00)" in p.reason
               for p in queue.picks)
    assert [lane.random_picks for lane in queue.lanes] == [1, 2]
    assert [lane.unused for lane in queue.lanes] == [9, 18]


def test_minimum_scores_per_port_and_lane() -> None:
    default = {"exam": 0.5, "xray": 0.3}
    by_port = {"fuk": {"exam": 0.8}}
    assert min_score_for("FUK", default, by_port) == MinScore(exam=0.8, xray=0.3)
    assert min_score_for("NRT", default, by_port) == MinScore(exam=0.5, xray=0.3)
    scores = [target(1, 0.6, port="FUK")]
    queue = build_queue(scores, Capacity(xray=1, exams=1), port="FUK", day=DAY, random_share=0.0,
                        min_score=min_score_for("FUK", default, by_port))
    assert [(p.record_id, p.inspection) for p in queue.picks] == [("r001", "xray")]


def test_each_lane_shows_its_hit_rate_from_recorded_results() -> None:
    def result(n: int, lane: str | None, found: bool, port: str = "NRT") -> InspectionResult:
        return InspectionResult(record_id=f"r{n}", record_type="consignment", port=port,
                                outcome="seizure" if found else "nothing_found", inspection=lane,  # type: ignore[arg-type]
                                inspected_at=datetime(2026, 11, 20, 10, n, tzinfo=UTC))
    results = [result(1, "exam", True), result(2, "exam", False), result(3, "exam", True), result(4, "xray", False),
               result(5, None, True), result(6, "exam", True, port="KIX")]
    records = lane_records(results, "nrt")
    queue = build_queue([target(1, 0.9)], Capacity(xray=1, exams=1), port="NRT", day=DAY, random_share=0.0,
                        lane_records=records)
    exam, xray = queue.lanes
    assert (exam.inspected, exam.findings, exam.hit_rate) == (3, 2, 0.6667)
    assert (xray.inspected, xray.findings, xray.hit_rate) == (1, 0, 0.0)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 3000)), min_size=1, max_size=6),
    xray=st.integers(0, 3),
    exams=st.integers(0, 3),
)
def test_model_picks_are_optimal_against_brute_force(values: list[tuple[float, float]], xray: int, exams: int) -> None:
    scores = [target(i, round(s, 3), round(r, 2)) for i, (s, r) in enumerate(values)]
    detect = {"exam": 0.95, "xray": 0.6}
    queue = build_queue(
        scores, Capacity(xray=xray, exams=exams), port="NRT", day=DAY, random_share=0.0, detection=detect,
        min_score=NO_FLOOR,
    )
    got = sum(p.expected_value for p in queue.picks)
    value = [candidate_value(s, 1000.0) for s in scores]
    best = 0.0
    slots = ["exam"] * exams + ["xray"] * xray + [None] * len(scores)
    for assignment in set(itertools.permutations(slots, len(scores))):
        best = max(best, sum(detect[k] * v for k, v in zip(assignment, value, strict=True) if k))
    assert got >= best - 1e-3


def test_scores_from_records_feed_the_queue() -> None:
    risky = Consignment(
        id=make_id("consignment", "a"),
        source_format="t",
        transport_document="1",
        destination="NRT",
        arrival_date=DAY,
        total_weight_kg=1000,
        declared_value=100,
        goods=[GoodsItem(description="LAPTOP COMPUTERS", hs_code="847130")],
        risk=RiskAssessment(score=0.7, model="test", reasons=["importer new"]),
    )
    calm = Passenger(id=make_id("passenger", "b"), source_format="t", full_name="CALM", debarkation="NRT")
    scores = [score_record(risky, Related()), score_record(calm, Related())]
    assert scores[1].port == "NRT" and scores[1].day is None  # no flight known: not in a day's queue
    queue = build_queue(scores, Capacity(xray=1, exams=1), port="NRT", day=DAY, random_share=0.0, min_score=NO_FLOOR)
    assert [p.record_id for p in queue.picks] == [risky.id]
    assert scores[0].part("model").value == 0.7 and scores[0].expected_revenue > 0
