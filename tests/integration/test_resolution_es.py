"""Entity resolution on the real Elasticsearch: the stream and the rebuild agree; judgements persist,
are audited, override the rules and survive a rebuild; a rejected pair never merges again."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from resolution.store import EsResolutionStore, apply_judgement, rebuild
from scenario import build_world, spec_for
from scenario.noisy_records import NOISE_PROFILES, labelled_records
from schemas.documents import MatchJudgement
from schemas.indexed import EDGE_TYPE, JUDGEMENT_TYPE
from schemas.records import Record
from sekisho import es_io
from sekisho.settings import Settings
from targeting.alerts import MemorySubscriptions
from targeting.rules import RuleBook
from targeting.worker import TargetingWorker

pytestmark = pytest.mark.integration


def _entities(settings: Settings, records: list[Record]) -> dict[str, str]:
    es_io.refresh(settings)
    found = EsResolutionStore(settings).memberships(r.id for r in records)
    return {record_id: membership.entity_id for record_id, membership in found.items()}


def _same_as(settings: Settings, record_id: str) -> list[str]:
    hits = es_io.search(EDGE_TYPE, {"bool": {"filter": [{"term": {"kind": "same_as"}}, {"term": {"src": record_id}}]}},
                        settings, size=50)
    return sorted(str(hit["dst"]) for hit in hits)


def _worker(settings: Settings) -> TargetingWorker:
    worker = TargetingWorker(settings, rules=RuleBook(settings.targeting_rules_dir),
                             subscriptions=MemorySubscriptions(), publish_alerts=False, index_alerts=False)
    worker.warm_up()
    return worker


def test_stream_and_rebuild_agree_and_judgements_hold(stack: Settings) -> None:
    world = build_world(spec_for("demo", seed=7, day=date(2026, 12, 7), travellers=40, consignments=12,
                                 declarations=8))
    records = labelled_records(world, NOISE_PROFILES["dev"], 7).records
    es_io.write_records(records, stack)
    es_io.refresh(stack)

    # The stream: records arrive in batches, in an order of their own.
    arriving = list(records)
    random.Random(1).shuffle(arriving)
    worker = _worker(stack)
    try:
        for start in range(0, len(arriving), 50):
            worker.handle_batch(arriving[start : start + 50])
    finally:
        worker.close()
    streamed = _entities(stack, records)
    merged = {record_id: entity for record_id, entity in streamed.items() if entity != record_id}
    assert merged, "the world has records of one entity from several feeds"

    report = rebuild(stack)
    assert report.records == len(streamed) and report.warnings == ()
    assert _entities(stack, records) == streamed

    # An analyst rejects one merge: the records part, the rejection is kept with who and when.
    record_id, entity = sorted(merged.items())[0]
    assert _same_as(stack, record_id) == [entity]
    judgement = MatchJudgement(left=record_id, right=entity, verdict="reject", analyst="key-analyst",
                               judged_at=datetime.now(UTC), note="different people")
    apply_judgement(judgement, stack)
    after = _entities(stack, records)
    assert after[record_id] != after[entity]
    assert entity not in _same_as(stack, record_id)
    kept = EsResolutionStore(stack).judgements_of([record_id])
    assert [(j.verdict, j.analyst, j.note) for j in kept] == [("reject", "key-analyst", "different people")]
    assert es_io.count(JUDGEMENT_TYPE, stack) == 1

    # The rejection survives a rebuild and a restarted stream replaying every record.
    rebuild(stack)
    assert _entities(stack, records) == after
    worker = _worker(stack)
    try:
        worker.handle_batch(records)
        assert worker.resolver is not None
        assert worker.resolver.entity_of(record_id) != worker.resolver.entity_of(entity)
    finally:
        worker.close()
    assert _entities(stack, records) == after

    # Confirming later puts them back together (the latest judgement is in force).
    apply_judgement(MatchJudgement(left=record_id, right=entity, verdict="confirm", analyst="key-lead",
                                   judged_at=datetime.now(UTC)), stack)
    assert _entities(stack, records)[record_id] == _entities(stack, records)[entity]
    rebuild(stack)
    assert _entities(stack, records) == streamed
