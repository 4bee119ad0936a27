"""Fault drills on the loopback cluster: a TaskManager, a Kafka broker or an Elasticsearch node is killed
with SIGKILL while the ingest job (submitted with ``flink run --python``) runs; the job recovers by
itself and every record is in Elasticsearch exactly once, with dead letters only for the bad input.

Run them with ``pytest -m cluster`` (each is bounded by its timeout; the fixtures start the cluster
and stop it again if they started it). Sizes: ``SEKISHO_DRILL_RECORDS`` (default 100000).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest
from elasticsearch.exceptions import ConnectionError as ESConnectionError
from elasticsearch.exceptions import ConnectionTimeout, TransportError

from schemas.records import make_id
from sekisho import es_io, kafka_io, stack_cluster
from sekisho.kafka_io import RawMessage
from sekisho.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

RECORDS = int(os.environ.get("SEKISHO_DRILL_RECORDS", "100000"))
BAD = [b"not a feed", b'{"record_type": "flight_leg", "id": ', b"   "]
JOB = PROJECT_ROOT / "streams" / "jobs" / "ingest_job.py"


def _messages(tag: str, count: int) -> list[RawMessage]:
    messages = []
    for n in range(count):
        doc = {"record_type": "flight_leg", "id": make_id("flight_leg", tag, n), "source_format": "canonical-json",
               "carrier": "JL", "flight_number": str(n % 9999 + 1), "departure_airport": "HKG",
               "arrival_airport": "NRT"}
        messages.append(RawMessage(payload=json.dumps(doc).encode(), source=f"{tag}-{n}.json"))
    return messages + [RawMessage(payload=body, source=f"{tag}-bad-{i}") for i, body in enumerate(BAD)]


def _indexed(settings: Settings) -> int:
    # Observed through the first search node only: the drills kill another one, and an observer that
    # round-robins onto the dead node would fail where the job (which retries) carries on.
    observer = settings.model_copy(update={"es_url": settings.es_url.split(",")[0]})
    es_io.refresh(observer)
    return es_io.count("flight_leg", observer)


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll until ``predicate()``; while a node is down a check may time out, which counts as not yet."""
    deadline = time.monotonic() + timeout_s
    while not _holds(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(1.0)


def _holds(predicate: Callable[[], bool]) -> bool:
    try:
        return predicate()
    except (ESConnectionError, ConnectionTimeout):
        return False
    except TransportError as exc:  # shards of the killed node not promoted yet: the count is not known
        if exc.status_code == 503:
            return False
        raise


def run_drill(settings: Settings, node: str, records: int, timeout_s: float) -> dict[str, float]:
    """Ingest ``records`` (+ bad input) with one kill -9 of ``node`` mid-run; returns timings."""
    tag = node.replace("cluster-", "")
    assert kafka_io.produce_raw(_messages(tag, records), settings=settings) == records + len(BAD)
    started = time.monotonic()
    job = stack_cluster.submit_python_job(settings, JOB, "--no-enrich")
    _wait(lambda: _indexed(settings) >= records // 5, timeout_s, "a fifth of the records before the kill")
    before = _indexed(settings)
    stack_cluster.kill_node(node, settings)
    killed = time.monotonic()
    try:
        # The job's state first: while the killed node's shards are being promoted the count may time out.
        _wait(lambda: stack_cluster.job_status(job) == "FINISHED" or _indexed(settings) > before + 1000,
              timeout_s, "progress after the kill")
        recovered = time.monotonic()
    finally:
        stack_cluster.start_node(node, settings)
    _wait(lambda: stack_cluster.job_status(job) in ("FINISHED", "FAILED", "CANCELED"), timeout_s, "the job's end")
    assert stack_cluster.job_status(job) == "FINISHED"
    total = time.monotonic() - started
    if "taskmanager" in node:  # the killed TaskManager ran subtasks of the job: it was restarted
        history = stack_cluster.rest_json(f"/jobs/{job}/exceptions")
        assert isinstance(history, dict) and history["exceptionHistory"]["entries"], "the job never failed over"
    assert _indexed(settings) == records
    assert es_io.count("rejection", settings) == len(BAD)
    timings = {"seconds": round(total, 1), "recovery_seconds": round(recovered - killed, 1),
               "records_per_s": round(records / total, 1)}
    print(f"drill {node}: {timings}")
    return timings


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("node", ["cluster-flink-taskmanager-2", "cluster-kafka-2", "cluster-es-2"])
def test_the_job_recovers_from_a_killed_node_with_exact_counts(cluster: Settings, node: str) -> None:
    ns = cluster.model_copy(update={"namespace": f"{cluster.namespace}-{node.rsplit('-', 2)[-2]}"})
    kafka_io.ensure_topics(ns)
    es_io.ensure_indices(ns)
    try:
        run_drill(ns, node, RECORDS, timeout_s=900)
    finally:
        es_io.delete_namespace(ns)
        kafka_io.delete_topics([ns.topic(n) for n in kafka_io.TOPICS], ns)


def _writer_subtask_records(job: str) -> list[int]:
    """Records each subtask of the writer (the keyed operator) received, from Flink's REST API."""
    overview = stack_cluster.rest_json(f"/jobs/{job}")
    assert isinstance(overview, dict)
    vertex = overview["vertices"][-1]
    detail = stack_cluster.rest_json(f"/jobs/{job}/vertices/{vertex['id']}")
    assert isinstance(detail, dict)
    return [int(sub["metrics"]["read-records"]) for sub in detail["subtasks"]]


@pytest.mark.timeout(1200)
def test_state_and_timers_survive_rescaling_from_two_to_four(cluster: Settings) -> None:
    """Stop with a savepoint at parallelism 2 part-way, resume at 4: exact counts, every writer subtask used.

    The job runs unbounded, so the stop never races the end of input: the first half of the records is
    produced before the job at parallelism 2, the second half only after its savepoint."""
    records = RECORDS
    half = records // 2
    first_half = _messages("rescale-a", half)
    assert kafka_io.produce_raw(first_half, settings=cluster) == half + len(BAD)
    first = stack_cluster.submit_python_job(cluster, JOB, "--no-enrich", "--unbounded")
    _wait(lambda: _indexed(cluster) >= half // 2, 900, "a quarter of the records at parallelism 2")
    savepoint = stack_cluster.stop_with_savepoint(cluster, first)
    second_half = _messages("rescale-b", records - half)[: records - half]
    assert kafka_io.produce_raw(second_half, settings=cluster) == records - half
    wider = cluster.model_copy(update={"flink_parallelism": 4})
    second = stack_cluster.submit_python_job(wider, JOB, "--no-enrich", "--unbounded", savepoint=savepoint)
    try:
        _wait(lambda: _indexed(cluster) == records and es_io.count("rejection", cluster) == len(BAD), 900,
              "every record from the resumed job")
        # The REST API serves metrics the JobManager fetched last (every 10 s): they may lag the documents.
        _wait(lambda: sum(_writer_subtask_records(second)) >= records - half, 120, "the writers' record metrics")
        per_subtask = _writer_subtask_records(second)
        print(f"rescaled 2 -> 4: {_indexed(cluster)} of {records} documents; writer subtasks {per_subtask}")
        assert len(per_subtask) == 4 and all(n > 0 for n in per_subtask), per_subtask
    finally:
        stack_cluster.cancel_job(second)
    assert _indexed(cluster) == records  # nothing written twice or late
