"""The alert desk against the real Kafka: a member that died mid-transaction leaves nothing behind, and a
member that takes the targets over rebuilds their state from the compacted topic."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from schemas.documents import Alert
from sekisho import kafka_io
from sekisho.settings import Settings
from targeting.alert_desk import CANDIDATES, STATE, AlertDesk, Decisions, state_body
from targeting.alerts import alert_body, alert_for, publish
from tests.unit.test_targeting_alerts import NOW, scored

pytestmark = pytest.mark.integration
TOPICS = ["alerts", CANDIDATES, STATE]


@pytest.fixture
def private(stack: Settings) -> Iterator[Settings]:
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}-desk{uuid.uuid4().hex[:4]}"})
    kafka_io.ensure_topics(settings, TOPICS)
    yield settings
    kafka_io.delete_topics([settings.topic(n) for n in TOPICS], settings)


def _candidates(count: int, minutes: int = 0) -> list[Alert]:
    alerts = [alert_for(scored(0.8, record_id=f"passenger-{n}"), now=NOW + timedelta(minutes=minutes))
              for n in range(count)]
    return [a for a in alerts if a is not None]


def _decide_all(desk: AlertDesk, expected: int, timeout_s: float = 120) -> Decisions:
    total = Decisions()
    deadline = time.monotonic() + timeout_s
    while len(total.alerts) + len(total.suppressed) < expected and time.monotonic() < deadline:
        round_ = desk.decide(500)
        total.alerts += round_.alerts
        total.suppressed += round_.suppressed
    return total


def _committed_alerts(settings: Settings) -> list[dict[str, str]]:
    return [json.loads(m.value) for m in kafka_io.consume(settings.topic("alerts"), settings=settings,
                                                          idle_timeout_s=3)]


def test_a_member_killed_mid_transaction_is_taken_over_exactly_once(private: Settings) -> None:
    candidates = _candidates(6)
    publish(candidates, private, topic=private.topic(CANDIDATES))
    # A member that wrote its alerts and state inside a transaction and died before committing it: the
    # producer is abandoned open, as a SIGKILL leaves it, and the broker aborts it after its timeout.
    dead = kafka_io.producer(private, transactional_id=f"dead-{uuid.uuid4().hex}", transaction_timeout_ms=3000)
    dead.init_transactions()
    dead.begin_transaction()
    for alert in candidates:
        dead.send(private.topic("alerts"), key=alert.key.encode(), value=alert_body(alert))
        dead.send(private.topic(STATE), key=alert.key.encode(), value=state_body(alert))
    dead.flush()

    group = f"desk-{uuid.uuid4().hex[:6]}"
    successor = AlertDesk(private, group_id=group, transaction_timeout_ms=10_000)
    try:
        decided = _decide_all(successor, len(candidates))
    finally:
        successor.close()
    assert sorted(a.key for a in decided.alerts) == sorted(a.key for a in candidates)
    on_topic = _committed_alerts(private)
    assert sorted(a["key"] for a in on_topic) == sorted(a.key for a in candidates)  # the dead one's are gone

    # The same targets again, and one that escalates, to the next member: its state comes from the topic.
    again = _candidates(6, minutes=5)
    escalated = alert_for(scored(0.95, record_id="passenger-0"), now=NOW + timedelta(minutes=6))
    assert escalated is not None
    publish([*again, escalated], private, topic=private.topic(CANDIDATES))
    next_owner = AlertDesk(private, group_id=group, transaction_timeout_ms=10_000)
    try:
        later = _decide_all(next_owner, len(again) + 1)
    finally:
        next_owner.close()
        dead.close(timeout=1)
    assert [a.key for a in later.alerts] == [escalated.key]
    assert sorted(a.key for a in later.suppressed) == sorted(a.key for a in again)
    assert len(_committed_alerts(private)) == len(candidates) + 1


def test_a_deployment_without_state_starts_from_the_alert_index_and_the_topic_wins(private: Settings) -> None:
    # Upgrade from a version without the state topic: the alert index knew passenger-0..3 were alerted.
    before_upgrade = _candidates(4, minutes=-30)
    seed = {a.key: (a.created_at, a.score, a.severity) for a in before_upgrade}
    # passenger-3 has a state entry already, older than the index's; the topic's entry is the one in force.
    stale = alert_for(scored(0.8, record_id="passenger-3"), now=NOW - timedelta(hours=48))
    assert stale is not None
    with kafka_io.producer(private) as producer:
        producer.send(private.topic(STATE), key=stale.key.encode(), value=state_body(stale)).get(timeout=30)
    publish(_candidates(6), private, topic=private.topic(CANDIDATES))  # passenger-0..5, now
    desk = AlertDesk(private, group_id=f"desk-{uuid.uuid4().hex[:6]}", transaction_timeout_ms=10_000, seed=seed)
    try:
        decided = _decide_all(desk, 6)
    finally:
        desk.close()
    assert sorted(a.key for a in decided.suppressed) == sorted(a.key for a in before_upgrade[:3])
    assert sorted(a.key for a in decided.alerts) == sorted(
        [before_upgrade[3].key, *(a.key for a in _candidates(6)[4:])])


def test_partition_of_is_where_the_producer_puts_a_key(private: Settings) -> None:
    keys = [f"entity:passenger-{n}" for n in range(40)]
    with kafka_io.producer(private) as producer:
        placed = {key: producer.send(private.topic(STATE), key=key.encode(), value=b"{}").get(timeout=30).partition
                  for key in keys}
    partitions = len(kafka_io.end_offsets(private.topic(STATE), private))
    assert partitions > 1
    assert placed == {key: kafka_io.partition_of(key, partitions) for key in keys}
