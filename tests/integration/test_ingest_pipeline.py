"""The foundation path on the real stack: Kafka → PyFlink (mini-cluster) → Elasticsearch + dead letters."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from schemas.generate import es_mapping
from schemas.records import RECORD_TYPES, make_id
from sekisho import es_io, kafka_io
from sekisho import stack as local_stack
from sekisho.kafka_io import RawMessage
from sekisho.settings import Settings
from streams.jobs import ingest_job
from tests.integration.conftest import as_stored

pytestmark = pytest.mark.integration


def _leg(n: int, tag: str) -> tuple[str, bytes]:
    rid = make_id("flight_leg", tag, n)
    doc = {"record_type": "flight_leg", "id": rid, "source_format": "canonical-json", "carrier": "JL",
           "flight_number": str(n), "departure_airport": "HKG", "arrival_airport": "NRT"}
    return rid, json.dumps(doc).encode()


MALFORMED = {
    "junk.txt": (b"this is not any feed format", "format.unknown"),
    "broken.json": (b'{"record_type": "flight_leg", "id": ', "json.malformed"),
    "latin1.json": ('{"record_type":"passenger","full_name":"Jos\xe9"}'.encode("latin-1"), "encoding.invalid"),
    "badcountry.json": (json.dumps({"record_type": "passenger", "id": "passenger-bad-nat",
                                    "source_format": "canonical-json", "full_name": "X Y",
                                    "nationality": "ZZ"}).encode(), "validation.expectation"),
    "empty.json": (b"   ", "payload.empty"),
}


def _dead_letter_reasons(settings: Settings) -> dict[str, str]:
    found = {}
    for message in kafka_io.consume(settings.topic("deadletter"), settings=settings, idle_timeout_s=3):
        doc = json.loads(message.value)
        found[doc["source"]] = doc["reason"]
    return found


def test_valid_records_land_with_their_ids_and_malformed_ones_become_dead_letters(stack: Settings) -> None:
    legs = [_leg(n, "e2e") for n in range(40)]
    messages = [RawMessage(payload=body, source=f"leg-{i}.json") for i, (_, body) in enumerate(legs)]
    messages += [RawMessage(payload=body, source=name) for name, (body, _) in MALFORMED.items()]
    assert kafka_io.produce_raw(messages, settings=stack) == 45

    ingest_job.run(stack, enrich=False)
    es_io.refresh(stack)

    stored = {hit["_id"] for hit in es_io.search("flight_leg", {"match_all": {}}, stack, size=100)}
    assert stored == {rid for rid, _ in legs}
    assert es_io.count("passenger", stack) == 0

    reasons = _dead_letter_reasons(stack)
    assert reasons == {name: reason for name, (_, reason) in MALFORMED.items()}
    indexed = es_io.search("rejection", {"match_all": {}}, stack, size=100)
    assert {(d["source"], d["reason"]) for d in indexed} == set(reasons.items())
    latin = next(d for d in indexed if d["source"] == "latin1.json")
    assert latin["raw"].startswith("base64:") and latin["raw_size"] == len(MALFORMED["latin1.json"][0])
    assert all(d["topic"] == stack.topic("raw") and d["offset"] is not None for d in indexed)

    # Replaying the same input creates no duplicates: ids are derived from content.
    kafka_io.produce_raw(messages, settings=stack)
    ingest_job.run(stack, enrich=False)
    es_io.refresh(stack)
    assert es_io.count("flight_leg", stack) == 40
    assert es_io.count("rejection", stack) == len(MALFORMED)


def test_records_arriving_during_an_elasticsearch_outage_are_written_after_it_returns(stack: Settings) -> None:
    legs = [_leg(n, "outage") for n in range(10)]
    kafka_io.produce_raw([RawMessage(payload=b, source="outage.json") for _, b in legs], settings=stack)
    before = es_io.count("flight_leg", stack)

    local_stack.stop_service("elasticsearch", stack)
    assert not es_io.is_healthy(stack)
    restarter = threading.Timer(8.0, lambda: local_stack.start_service("elasticsearch", stack))
    restarter.start()
    started = time.monotonic()
    try:
        ingest_job.run(stack, enrich=False, prepare=False)
    finally:
        restarter.join()
    assert time.monotonic() - started > 8.0  # the job waited for Elasticsearch instead of dropping
    es_io.refresh(stack)
    ids = {hit["_id"] for hit in es_io.search("flight_leg", {"terms": {"_id": [r for r, _ in legs]}}, stack,
                                                size=100)}
    assert ids == {rid for rid, _ in legs}
    assert es_io.count("flight_leg", stack) == before + 10


def test_live_index_mappings_are_the_generated_ones(stack: Settings) -> None:
    for name, cls in RECORD_TYPES.items():
        assert es_io.live_mapping(name, stack) == as_stored(es_mapping(cls)), name


@pytest.mark.parametrize("step", ["flush", "write"])
def test_a_batch_that_fails_after_a_checkpoint_is_restored_and_written(
    stack: Settings, tmp_path: Any, step: str
) -> None:
    """Recovery drill: records sit in the writer's keyed state across a checkpoint, the batch then fails
    (as a crashed worker would), Flink restores the job from that checkpoint, and every record lands.

    ``flush``: the batch fails before it is processed (it is restored as the filling batch). ``write``:
    its write fails on the writer thread after it was processed; the failure is raised when the job
    settles the write, a window later, so checkpoints pass while the batch is being written, and the
    restored job writes it from state (its offsets are committed by then)."""
    legs = [_leg(n, f"drill-{step}") for n in range(25)]
    fault = tmp_path / "fail-once"
    fault.write_text(step)
    drill = stack.model_copy(update={"flink_window_ms": 4000, "flink_checkpoint_ms": 300,
                                     "flink_fault_once_file": fault})
    kafka_io.produce_raw([RawMessage(payload=b, source="drill.json") for _, b in legs], settings=drill)
    # Unbounded, so no end-of-input flush: the batch waits for its 4 s timer while checkpoints complete.
    job = ingest_job.build(drill, bounded=False, enrich=False, prepare=False, group_id=drill.topic(f"drill-{step}"))
    client = job.execute_async(f"sekisho-drill-{drill.namespace}")
    wanted = {rid for rid, _ in legs}
    try:
        deadline = time.monotonic() + 180
        found: set[str] = set()
        while time.monotonic() < deadline and found != wanted:
            time.sleep(1)
            es_io.refresh(drill)
            found = {hit["_id"] for hit in es_io.search("flight_leg", {"terms": {"_id": sorted(wanted)}}, drill,
                                                         size=100)}
    finally:
        client.cancel().result()
    assert not fault.exists()  # the drill fired: the first flush of the batch failed
    assert found == wanted
