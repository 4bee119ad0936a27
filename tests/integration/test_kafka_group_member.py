"""A consumer group member on the real Kafka that finds and restarts a partition its client stopped fetching."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from sekisho import kafka_io
from sekisho.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def private(stack: Settings) -> Iterator[Settings]:
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}-member{uuid.uuid4().hex[:4]}"})
    kafka_io.ensure_topics(settings, ["records"])
    yield settings
    kafka_io.delete_topics([settings.topic("records")], settings)


@pytest.fixture
def member(private: Settings) -> Iterator[kafka_io.GroupMember]:
    """A member of a group of its own that has read the first 10 messages of the topic."""
    topic = private.topic("records")
    joined = kafka_io.GroupMember(topic, settings=private, group_id=f"it-{uuid.uuid4().hex[:6]}")
    try:
        kafka_io.produce_json(topic, [(f"first-{n}", {"n": n}) for n in range(10)], private)
        assert len(_poll_until(joined, 10, 120)) == 10
        yield joined
    finally:
        joined.close()


def _poll_until(member: kafka_io.GroupMember, count: int, timeout_s: float) -> list[kafka_io.ConsumedMessage]:
    got: list[kafka_io.ConsumedMessage] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        got += member.poll(200)
    return got


def test_a_partition_left_unfetched_is_fetched_again_with_a_warning(
    private: Settings, member: kafka_io.GroupMember, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(kafka_io, "STALL_CHECK_S", 1.0)
    assert member.stalls_restarted == 0  # a member that keeps up is never sought again
    # The client stops fetching every partition it owns, as the stalled client did: nothing comes back
    # until the member notices that committed messages sit past its position.
    member._consumer.pause(*member._consumer.assignment())
    kafka_io.produce_json(member.topic, [(f"second-{n}", {"n": n}) for n in range(20)], private)
    with caplog.at_level(logging.WARNING, logger="sekisho.kafka_io"):
        again = _poll_until(member, 20, 60)
    assert sorted(m.key or b"" for m in again) == sorted(f"second-{n}".encode() for n in range(20))
    assert member.stalls_restarted >= 1
    assert any("fetching it again" in r.getMessage() for r in caplog.records)


def test_a_poll_stuck_in_the_client_is_ended_and_a_new_client_joins(
    private: Settings, member: kafka_io.GroupMember, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from kafka.errors import KafkaConnectionError

    monkeypatch.setattr(kafka_io, "POLL_STUCK_S", 2.0)
    # The client's wait never ends, as when its network thread lost the wake-up; only closing the client
    # fails the wait (the real client fails its pending waiters with this error when it is closed).
    stuck = member._consumer
    ended = threading.Event()
    real_close = stuck.close

    def close(**options: object) -> None:
        ended.set()
        real_close(**options)

    def poll(**_: object) -> dict[object, object]:
        ended.wait(60)
        raise KafkaConnectionError("Event loop stopped")

    monkeypatch.setattr(stuck, "poll", poll)
    monkeypatch.setattr(stuck, "close", close)
    kafka_io.produce_json(member.topic, [(f"second-{n}", {"n": n}) for n in range(5)], private)
    with caplog.at_level(logging.WARNING, logger="sekisho.kafka_io"):
        assert member.poll(200) == []  # the stuck poll, ended by the watch
        again = _poll_until(member, 15, 120)
    assert member.clients_replaced == 1 and member._consumer is not stuck
    # Nothing was committed: the new client reads the first messages again, and the new ones.
    assert {m.key for m in again} >= {f"second-{n}".encode() for n in range(5)}
    assert any("has not returned" in r.getMessage() for r in caplog.records)
