"""Two targeting workers (``sekisho targeting worker``, separate processes) share the records; one is killed
with SIGKILL mid-run, and the other takes its targets over: every target alerts exactly once, on the alerts
topic and in the alert index.

Every scored traveller alerts here (threshold 0), each a target of its own (names share no word, no contact,
no document), so the expected alerts are known: one per traveller.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.indexed import ALERT_TYPE
from schemas.records import Passenger, make_id
from sekisho import es_io, kafka_io
from sekisho.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

PARTITIONS = 4
TOTAL = 320  # travellers, produced in small slices; the kill comes a third of the way through or later
SLICE = 10
SYLLABLES = ["ka", "ro", "mi", "tsu", "ne", "ha", "yo", "ri", "su", "to", "ba", "ge", "lu", "vo", "de", "qi"]


def _word(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[:4]).upper()


def travellers(tag: str, count: int) -> list[Passenger]:
    common = {"source_format": "test", "embarkation": "HKG", "debarkation": "NRT",
              "received_at": datetime(2026, 11, 25, tzinfo=UTC)}
    return [Passenger.model_validate({**common, "id": make_id("passenger", tag, n), "phones": [f"+8170{n:08d}"],
                                      "full_name": f"{_word(f'{tag}-given-{n}')} {_word(f'{tag}-family-{n}')}"})
            for n in range(count)]


@pytest.fixture
def private(stack: Settings, tmp_path: Path) -> Iterator[Settings]:
    settings = stack.model_copy(update={
        "namespace": f"{stack.namespace}-takeover{uuid.uuid4().hex[:4]}",
        "kafka_partitions": PARTITIONS,
        "alert_subscriptions_file": tmp_path / "subscriptions.json",
    })
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    yield settings
    es_io.delete_namespace(settings)
    kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)


def _worker(settings: Settings, group: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SEKISHO_NAMESPACE": settings.namespace,
        "SEKISHO_KAFKA_PARTITIONS": str(PARTITIONS),
        "SEKISHO_ALERT_THRESHOLD": "0",
        "SEKISHO_ALERT_SUBSCRIPTIONS_FILE": str(settings.alert_subscriptions_file),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "sekisho.cli", "targeting", "worker", "--from-beginning", "--group-id", group]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _alerts_on_topic(settings: Settings) -> list[dict[str, str]]:
    """Committed alerts only (the consumer reads committed messages)."""
    return [json.loads(m.value) for m in kafka_io.consume(settings.topic("alerts"), settings=settings,
                                                          idle_timeout_s=2)]


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(2)


@pytest.mark.timeout(1200)
def test_a_worker_killed_mid_run_is_taken_over_without_a_lost_or_repeated_alert(
    private: Settings, tmp_path: Path
) -> None:
    everyone = travellers("takeover", TOTAL)
    expected = {p.id for p in everyone}

    def produce(part: list[Passenger]) -> None:
        kafka_io.produce_json(private.topic("records"), [(p.id, p.model_dump(mode="json")) for p in part], private)

    group = f"takeover-{uuid.uuid4().hex[:6]}"
    victim = _worker(private, group, tmp_path / "victim.log")
    survivor = _worker(private, group, tmp_path / "survivor.log")
    try:
        # Both members in all three groups before any record, so both own targets from the start.
        _wait(lambda: all(kafka_io.group_members(g, private) == 2 for g in (group, f"{group}.decide",
                                                                             f"{group}.deliver")),
              600, "both workers in every group")
        done_at_kill = -1
        for start in range(0, TOTAL, SLICE):
            produce(everyone[start : start + SLICE])
            time.sleep(0.5)
            # Mid-run: the victim has sent alerts, and most of the input is still to come.
            if done_at_kill < 0 and start >= TOTAL // 3 and "ALERT" in (tmp_path / "victim.log").read_text():
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=30)
                done_at_kill = len(_alerts_on_topic(private))
        assert done_at_kill >= 0, "the victim sent no alert while the input was produced"
        _wait(lambda: {a["record_id"] for a in _alerts_on_topic(private)} >= expected, 900,
              "every traveller's alert from the surviving worker")
        time.sleep(15)  # anything sent twice would arrive now: a rewound batch, an aborted transaction replayed
        es_io.refresh(private)
        _wait(lambda: es_io.count(ALERT_TYPE, private) >= len(expected), 120, "every alert in the index")
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
    alerts = _alerts_on_topic(private)
    repeated = {key: n for key, n in Counter(a["key"] for a in alerts).items() if n > 1}
    assert not repeated, f"targets alerted more than once: {repeated}"
    assert sorted(a["record_id"] for a in alerts) == sorted(expected)
    es_io.refresh(private)
    indexed = es_io.search(ALERT_TYPE, {"match_all": {}}, private, size=10 * len(expected))
    assert sorted(hit["record_id"] for hit in indexed) == sorted(expected)
    print(f"takeover: {done_at_kill} of {len(expected)} alerts before the kill, every target alerted once")
