"""Canonical entities: order-free clusters, stable ids, judgements that override the rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from resolution.clusters import Resolver
from resolution.evaluation import evaluate
from scenario import build_world, spec_for
from scenario.noisy_records import NOISE_PROFILES, LabelledRecords, labelled_records
from schemas.documents import MatchJudgement
from schemas.records import Consignment, Record

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world_records() -> LabelledRecords:
    world = build_world(spec_for("demo", seed=5, day=date(2026, 12, 7), travellers=150, consignments=40,
                                 declarations=25))
    return labelled_records(world, NOISE_PROFILES["dev"], 5)


def consignment(key: str, awb: str) -> Consignment:
    return Consignment(id=f"consignment-{key}", source_format="cargo-imp-fwb", transport_document=awb)


def judged(left: str, right: str, verdict: str, minutes: int = 0) -> MatchJudgement:
    return MatchJudgement.model_validate(
        {"left": left, "right": right, "verdict": verdict, "analyst": "key-1",
         "judged_at": T0 + timedelta(minutes=minutes)}
    )


def entities(resolver: Resolver, records: list[Record]) -> dict[str, str]:
    return {record.id: resolver.entity_of(record.id) for record in records}


def test_canonical_id_is_the_smallest_member_and_stable_under_replay() -> None:
    records = [consignment("c", "160-12345675"), consignment("a", "16012345675"), consignment("b", "00000000001")]
    resolver = Resolver()
    changes = resolver.add(records)
    assert changes.records == {"consignment-a", "consignment-b", "consignment-c"}
    assert resolver.entity_of("consignment-c") == "consignment-a"
    assert resolver.members("consignment-c") == ["consignment-a", "consignment-c"]
    assert resolver.entity_of("consignment-b") == "consignment-b"
    assert resolver.add(records).records == set()  # a replay changes nothing
    membership = resolver.membership("consignment-c")
    assert membership is not None and membership.entity_id == "consignment-a"
    assert membership.reasons == ["same air waybill 16012345675 (rule transport_document, with consignment-a)"]


def test_same_entities_whatever_the_arrival_order(world_records: LabelledRecords) -> None:
    records = world_records.records
    whole = Resolver()
    whole.add(records)
    assert whole.entities()  # the world has records that describe one entity
    shuffled = list(records)
    random.Random(3).shuffle(shuffled)
    stream = Resolver()
    for start in range(0, len(shuffled), 37):
        stream.add(shuffled[start : start + 37])
    assert entities(stream, records) == entities(whole, records)


def test_a_rejected_pair_never_merges_again_even_through_a_third_record() -> None:
    a, b, c = consignment("a", "160-12345675"), consignment("b", "16012345675"), consignment("c", "160 1234 5675")
    resolver = Resolver()
    resolver.add([a, b])
    assert resolver.entity_of("consignment-b") == "consignment-a"
    changes = resolver.judge(judged("consignment-b", "consignment-a", "reject"))
    assert changes.records == {"consignment-b"}
    assert resolver.entity_of("consignment-b") == "consignment-b"
    resolver.add([c])  # c matches both by rule: it joins one side, never both
    assert resolver.entity_of("consignment-a") != resolver.entity_of("consignment-b")
    assert resolver.entity_of("consignment-c") == "consignment-a"  # ties broken by record ids


def test_confirm_merges_what_no_rule_proposed_and_the_latest_judgement_wins() -> None:
    a, b = consignment("a", "160-12345675"), consignment("b", "00000000001")
    resolver = Resolver()
    resolver.add([a, b])
    resolver.judge(judged("consignment-a", "consignment-b", "confirm"))
    assert resolver.entity_of("consignment-b") == "consignment-a"
    membership = resolver.membership("consignment-b")
    assert membership is not None and "confirmed by analyst key-1" in membership.reasons[0]
    resolver.judge(judged("consignment-a", "consignment-b", "reject", minutes=5))
    assert resolver.entity_of("consignment-b") == "consignment-b"
    resolver.judge(judged("consignment-a", "consignment-b", "confirm", minutes=1))  # older: no effect
    assert resolver.entity_of("consignment-b") == "consignment-b"
    resolver.judge(judged("consignment-a", "consignment-b", "unsure", minutes=9))  # unsure: the rules decide
    assert resolver.entity_of("consignment-b") == "consignment-b"


def test_judgements_before_or_after_the_records_give_the_same_entities(world_records: LabelledRecords) -> None:
    records = world_records.records
    first = Resolver()
    first.add(records)
    merged = [m for m in first.matches() if m.kind == "traveller"][:3]
    unrelated = sorted(first.entities())[:2]
    verdicts = [judged(m.left, m.right, "reject", i) for i, m in enumerate(merged)]
    verdicts.append(judged(unrelated[0], unrelated[1], "confirm", 7))
    for judgement in verdicts:
        first.judge(judgement)
    rebuilt = Resolver(verdicts)
    rebuilt.add(reversed(records))
    assert entities(rebuilt, records) == entities(first, records)
    for m in merged:
        assert first.entity_of(m.left) != first.entity_of(m.right)


def test_evaluation_counts_pairs_purity_and_hard_negatives(world_records: LabelledRecords) -> None:
    result = evaluate(world_records.records, world_records.truth, world_records.hard_negatives)
    assert result.hard_negatives > 0 and result.hard_negative_merges == []
    assert result.overall.precision >= 0.99 and result.overall.recall >= 0.9
    assert set(result.by_kind) == {"consignment", "flight", "party", "traveller"}
    assert 0.99 <= result.overall.purity <= 1.0
