"""The Kafka adapter: the only module that imports the Kafka client.

Raw messages go on ``<namespace>.raw`` exactly as carriers send them (bytes, no envelope); the key is the
message id (sha256 of the payload) and headers carry the source name and an optional format hint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.partitioner.default import murmur2

from schemas.records import message_id_of
from sekisho.settings import Settings

log = logging.getLogger(__name__)

# A group member whose polls return nothing this long checks its partitions for a stalled fetch.
STALL_CHECK_S = 5.0
# A poll that has not returned this long (its own wait is at most seconds) is stuck in the client.
POLL_STUCK_S = 60.0

# Topics every environment has, with their role.
TOPICS = {
    "raw": "raw messages from feeds, crawlers and the ingestion endpoint",
    "deadletter": "rejected input with reason, source, offset and raw payload",
    "records": "canonical records after parse, validation and enrichment",
    "alerts": "targeting alerts for counter-terrorism units",
    "alert-candidates": "alerts the targeting workers raised, keyed by target, before de-duplication",
    "alert-state": "the last alert sent per target (compacted): the de-duplication state of the targeting workers",
}
# State topics: the latest message per key is kept (compaction), and like every topic nothing older than
# the retention (the de-duplication window is far shorter, so expiry loses no state that still counts).
COMPACTED = frozenset({"alert-state"})


@dataclass(frozen=True)
class RawMessage:
    payload: bytes
    source: str
    format_hint: str = "auto"
    key: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return self.key or message_id_of(self.payload)


@dataclass(frozen=True)
class ConsumedMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    timestamp_ms: int


def admin(settings: Settings) -> KafkaAdminClient:
    s = settings
    return KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap, client_id="sekisho-admin")


def ensure_topics(settings: Settings, names: Iterable[str] = TOPICS) -> list[str]:
    """Create the namespace's topics if missing, with ``retention.ms`` (``Settings.kafka_retention_ms``),
    and set that retention again on topics that already exist; returns their full names."""
    s = settings
    wanted = {s.topic(name): topic_configs(s, compacted=name in COMPACTED) for name in names}
    client = admin(s)
    try:
        existing = set(client.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=s.kafka_partitions, replication_factor=s.kafka_replication_factor,
                     topic_configs=configs)
            for name, configs in wanted.items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                client.create_topics(missing)
        present = [name for name in wanted if name in existing]
        if present:
            client.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs=wanted[name])
                                  for name in present])
    finally:
        client.close()
    return list(wanted)


def topic_configs(settings: Settings, *, compacted: bool = False) -> dict[str, str]:
    """A topic's configuration: the PNR retention for all, and compaction for state topics."""
    configs = {"cleanup.policy": "compact,delete" if compacted else "delete",
               "retention.ms": str(settings.kafka_retention_ms)}
    if settings.kafka_replication_factor > 1:
        configs["min.insync.replicas"] = str(settings.kafka_min_insync_replicas)
    return configs


def topic_config(topic: str, settings: Settings) -> dict[str, str]:
    """A topic's effective configuration as the broker reports it."""
    client = admin(settings)
    try:
        result = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        client.close()
    # kafka-python 3 answers {"topic": {name: {config: {"value": ..., ...}}}}
    entries = result.get("topic", {}).get(topic, {})
    return {str(name): str(entry.get("value")) for name, entry in entries.items()}


def delete_topics(names: Iterable[str], settings: Settings) -> None:
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            client.delete_topics(doomed)
    finally:
        client.close()


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    s = settings
    options: dict[str, Any] = {
        "bootstrap_servers": s.kafka_bootstrap,
        "acks": "all",
        "linger_ms": 20,
        # Batches of 256 KB, not kafka-python's 16 KB: in a burst of sends (the ingest job's writer sends a
        # batch of records at once) small batches queue up behind the sender, and every send that finds more
        # than one batch queued for its partition wakes the sender thread (a socket write, lock hand-offs):
        # 44 µs of CPU per message with 16 KB batches, 23 µs with 256 KB, measured against the loopback
        # cluster. Latency is unchanged: a batch leaves after linger_ms whether it is full or not.
        "batch_size": 256 * 1024,
        "max_request_size": s.max_message_bytes + 65536,
        "retries": 10,
        "compression_type": None,
    }
    options.update(overrides)
    return KafkaProducer(**options)


def _headers(message: RawMessage) -> list[tuple[str, bytes]]:
    headers = {"source": message.source, "format": message.format_hint, **message.headers}
    headers.setdefault("received_at", datetime.now(UTC).isoformat())
    return [(k, v.encode("utf-8")) for k, v in headers.items()]


def produce_raw(
    messages: Iterable[RawMessage],
    *,
    topic: str | None = None,
    settings: Settings,
    on_sent: Callable[[RawMessage], None] | None = None,
    client: KafkaProducer | None = None,
) -> int:
    """Put raw messages on the raw topic (blocking until all are acknowledged); returns how many."""
    s = settings
    target = topic or s.topic("raw")
    own = client is None
    kp = client or producer(s)
    count = 0
    try:
        futures = []
        for message in messages:
            futures.append(
                kp.send(target, key=message.message_id.encode(), value=message.payload, headers=_headers(message))
            )
            count += 1
            if on_sent is not None:
                on_sent(message)
            if len(futures) >= 1000:
                for future in futures:
                    future.get(timeout=60)
                futures.clear()
        kp.flush(timeout=60)
        for future in futures:
            future.get(timeout=60)
    finally:
        if own:
            kp.close(timeout=10)
    return count


def send_raw_and_wait(
    message: RawMessage, *, client: KafkaProducer, settings: Settings, timeout_s: float = 30.0
) -> None:
    """Send one raw message and wait for its own acknowledgement (no flush), so that concurrent callers
    sharing ``client`` (the ingestion endpoint) share its batches."""
    s = settings
    future = client.send(s.topic("raw"), key=message.message_id.encode(), value=message.payload,
                         headers=_headers(message))
    future.get(timeout=timeout_s)


def send_raw(client: KafkaProducer, message: RawMessage, *, topic: str) -> Any:
    """Queue one raw message without waiting (the producer batches in its own thread); returns its future.

    For producers that must not block (the crawlers' reactor thread); ``client.flush()`` waits for all.
    """
    return client.send(topic, key=message.message_id.encode(), value=message.payload, headers=_headers(message))


def send_all(client: KafkaProducer, messages: Iterable[tuple[str, str, bytes]], timeout_s: float = 60.0) -> int:
    """Send ``(topic, key, value)`` messages and wait until every one is acknowledged; returns how many.
    A message the broker did not take raises here (``KafkaError``), never silently."""
    futures = [client.send(topic, key=key.encode(), value=value) for topic, key, value in messages]
    client.flush(timeout=timeout_s)
    for future in futures:
        future.get(timeout=timeout_s)
    return len(futures)


def produce_json(
    topic: str, items: Iterable[tuple[str, dict[str, Any]]], settings: Settings
) -> int:
    """Put JSON documents keyed by id on a topic (dead letters, records, alerts)."""
    kp = producer(settings)
    try:
        return send_all(kp, ((topic, key, json.dumps(doc, default=str).encode()) for key, doc in items))
    finally:
        kp.close(timeout=10)


def _consumer(topic: str, s: Settings, group_id: str | None, from_beginning: bool, **options: Any) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=s.kafka_bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=group_id is not None,
        # Messages of aborted or still open transactions (the targeting workers' alerts) are never seen.
        isolation_level="read_committed",
        fetch_max_bytes=s.max_message_bytes + 65536,
        max_partition_fetch_bytes=s.max_message_bytes + 65536,
        **options,
    )


def _consumed(record: Any) -> ConsumedMessage:
    return ConsumedMessage(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers={k: v.decode("utf-8", "replace") for k, v in (record.headers or [])},
        timestamp_ms=record.timestamp,
    )


def consume(
    topic: str,
    *,
    settings: Settings,
    group_id: str | None = None,
    from_beginning: bool = True,
    idle_timeout_s: float = 5.0,
    max_messages: int | None = None,
) -> Iterator[ConsumedMessage]:
    """Read a topic until it has been idle for ``idle_timeout_s`` (or ``max_messages`` were read)."""
    s = settings
    consumer = _consumer(topic, s, group_id, from_beginning, consumer_timeout_ms=int(idle_timeout_s * 1000))
    seen = 0
    try:
        for record in consumer:
            yield _consumed(record)
            seen += 1
            if max_messages is not None and seen >= max_messages:
                break
    finally:
        consumer.close()


def partition_of(key: str, partitions: int) -> int:
    """The partition the producer's default partitioner (murmur2, as the Java client) gives a key."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def end_offsets(topic: str, settings: Settings) -> dict[int, int]:
    """Latest offset per partition (how far a topic has been written)."""
    from kafka import TopicPartition

    s = settings
    consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def group_members(group_id: str, settings: Settings) -> int:
    """How many members a consumer group has right now (0 for an unknown group)."""
    client = admin(settings)
    try:
        described = client.describe_groups([group_id])  # kafka-python 3: {group: {"members": [...], ...}}
    finally:
        client.close()
    return len(described.get(group_id, {}).get("members") or [])


def wait_until_reachable(settings: Settings, timeout_s: float = 60.0) -> bool:
    s = settings
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            client = admin(s)
            client.list_topics()
            client.close()
            return True
        except (KafkaError, OSError, ValueError):
            time.sleep(0.5)
    return False


def follow(
    topic: str,
    *,
    settings: Settings,
    group_id: str | None = None,
    from_beginning: bool = False,
    poll_timeout_ms: int = 200,
    max_records: int = 500,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[list[ConsumedMessage]]:
    """Read a topic as long as ``stop()`` is false, yielding each poll's batch (empty when idle).

    For long-running consumers (the targeting/alert worker): one consumer, one group join, low latency.
    """
    s = settings
    consumer = _consumer(topic, s, group_id, from_beginning, fetch_max_wait_ms=min(poll_timeout_ms, 100))
    try:
        _await_partitions(consumer, topic)
        while not stop():
            polled = consumer.poll(timeout_ms=poll_timeout_ms, max_records=max_records)
            yield [_consumed(record) for records in polled.values() for record in records]
    finally:
        consumer.close()



Partitions = Callable[[list[int]], None]


def _await_partitions(consumer: KafkaConsumer, topic: str, timeout_s: float = 30.0) -> None:
    """Wait until the consumer's metadata knows the topic's partitions, before its first poll joins the group.

    A member that joins while a just-created topic is not in its metadata yet is assigned nothing, and
    may not ask again for minutes (seen: a consumer started right after ``ensure_topics`` read nothing)."""
    deadline = time.monotonic() + timeout_s
    while not consumer.partitions_for_topic(topic):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no partitions of {topic} known after {timeout_s:.0f}s")
        time.sleep(0.2)


class GroupMember:
    """One member of a consumer group on one topic; offsets are committed by the caller, after the batch is
    done (directly, or inside a transaction), so a member killed mid-batch leaves it to the next owner.

    ``on_assigned`` / ``on_revoked`` receive partition numbers between batches. They run on the client's
    network thread (kafka-python 3), whose documentation warns against blocking calls there: note the
    partitions and do the work in the caller's thread, after the next ``poll``."""

    def __init__(
        self,
        topic: str,
        *,
        settings: Settings,
        group_id: str,
        from_beginning: bool = True,
        on_assigned: Partitions | None = None,
        on_revoked: Partitions | None = None,
        max_records: int = 500,
    ) -> None:
        s = settings
        self.topic = topic
        self.group_id = group_id
        self.max_records = max_records
        self._options: dict[str, Any] = dict(
            bootstrap_servers=s.kafka_bootstrap,
            group_id=group_id,
            auto_offset_reset="earliest" if from_beginning else "latest",
            enable_auto_commit=False,
            isolation_level="read_committed",
            fetch_max_bytes=s.max_message_bytes + 65536,
            max_partition_fetch_bytes=s.max_message_bytes + 65536,
            fetch_max_wait_ms=100,
        )
        self._on_assigned, self._on_revoked = on_assigned, on_revoked
        self._consumer = self._join()
        self._last_progress = time.monotonic()
        self.stalls_restarted = 0  # partitions found behind their end with nothing returned, and sought again
        self.clients_replaced = 0  # clients whose poll never returned, closed and replaced by a new one
        self._poll_started: float | None = None
        self._abandoned = False
        self._closed = threading.Event()
        threading.Thread(target=self._watch_polls, name=f"poll-watch-{topic}", daemon=True).start()

    def _join(self) -> KafkaConsumer:
        """A new client subscribed to the topic, its partitions known (it joins the group on its first poll)."""
        from kafka import ConsumerRebalanceListener

        topic, group, assigned, revoked = self.topic, self.group_id, self._on_assigned, self._on_revoked

        class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, partitions: Any) -> None:
                numbers = sorted(tp.partition for tp in partitions if tp.topic == topic)
                log.info("%s (group %s): partitions %s revoked", topic, group, numbers)
                if revoked is not None:
                    revoked(numbers)

            def on_partitions_assigned(self, partitions: Any) -> None:
                numbers = sorted(tp.partition for tp in partitions if tp.topic == topic)
                log.info("%s (group %s): partitions %s assigned", topic, group, numbers)
                if assigned is not None:
                    assigned(numbers)

        consumer = KafkaConsumer(**self._options)
        consumer.subscribe([topic], listener=Listener())
        _await_partitions(consumer, topic)
        return consumer

    def poll(self, timeout_ms: int = 200) -> list[ConsumedMessage]:
        self._poll_started = time.monotonic()
        try:
            polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=self.max_records)
        except Exception:
            if not self._abandoned:
                raise
            return self._replace_client()
        finally:
            self._poll_started = None
        messages = [_consumed(record) for records in polled.values() for record in records]
        now = time.monotonic()
        if messages:
            self._last_progress = now
        elif now - self._last_progress >= STALL_CHECK_S:
            self._last_progress = now
            self._restart_stalled()
        return messages

    def _watch_polls(self) -> None:
        """Close the client under a poll that has not returned for ``POLL_STUCK_S``: the client's network
        thread can leave a waiting poll unanswered (reported against kafka-python 3.0.x, dpkp/kafka-python#3131),
        and a poll that waits for good would stop the stream. Closing fails the wait; ``poll`` then joins again."""
        while not self._closed.wait(min(5.0, POLL_STUCK_S / 2)):
            started = self._poll_started
            if started is None or time.monotonic() - started < POLL_STUCK_S or self._abandoned:
                continue
            self._abandoned = True
            log.warning("poll of %s (group %s) has not returned for %.0fs: closing its client to join again",
                        self.topic, self.group_id, time.monotonic() - started)
            with contextlib.suppress(Exception):
                self._consumer.close(autocommit=False, timeout_ms=5000)

    def _replace_client(self) -> list[ConsumedMessage]:
        """A new client in place of the one the watch closed; what was not committed is read again."""
        self._consumer = self._join()
        self._abandoned = False
        self.clients_replaced += 1
        log.warning("%s (group %s): a new client joined in place of the stuck one", self.topic, self.group_id)
        return []

    def _restart_stalled(self) -> None:
        """Fetch again any owned partition that has committed messages past the position while polls return
        nothing. The client can leave a partition unfetched after a fetched batch (an offset validation it
        started but never finished, reported against kafka-python 3.0.x in dpkp/kafka-python#3106): reading
        the position, seeking to it and resuming the partition (nothing here pauses one on purpose) restarts
        it, with a warning."""
        owned = list(self._consumer.assignment())
        if not owned:
            return
        try:
            ends = self._consumer.end_offsets(owned)
            positions = {tp: self._consumer.position(tp) for tp in owned}
        except KafkaError as exc:
            log.warning("could not check %s for stalled partitions: %s", self.topic, exc)
            return
        for tp in owned:
            position, end = positions[tp], ends.get(tp)
            if position is not None and end is not None and end > position:
                log.warning("%s partition %d: %d committed messages past position %d and none returned for "
                            "%.0fs; fetching it again from there", tp.topic, tp.partition, end - position,
                            position, STALL_CHECK_S)
                self._consumer.seek(tp, position)
                self._consumer.resume(tp)
                self.stalls_restarted += 1

    def next_offsets(self, batch: Iterable[ConsumedMessage]) -> dict[Any, Any]:
        """What to commit once ``batch`` is done: per partition, the offset after its last message."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        last: dict[int, int] = {}
        for message in batch:
            last[message.partition] = max(last.get(message.partition, -1), message.offset)
        return {TopicPartition(self.topic, p): OffsetAndMetadata(o + 1, "", -1) for p, o in last.items()}

    def commit(self, batch: Iterable[ConsumedMessage]) -> None:
        offsets = self.next_offsets(batch)
        if offsets:
            self._consumer.commit(offsets)

    def rewind(self, batch: Iterable[ConsumedMessage]) -> None:
        """Read ``batch`` again from the next poll (its work failed and was not committed)."""
        from kafka import TopicPartition

        first: dict[int, int] = {}
        for message in batch:
            first[message.partition] = min(first.get(message.partition, message.offset), message.offset)
        owned = self._consumer.assignment()
        for partition, offset in first.items():
            tp = TopicPartition(self.topic, partition)
            if tp in owned:  # a partition lost meanwhile is read again by its new owner
                self._consumer.seek(tp, offset)

    def group_metadata(self) -> Any:
        return self._consumer.group_metadata()

    def close(self) -> None:
        self._closed.set()
        self._consumer.close()


class Transactions:
    """A transactional producer: messages on several topics and a group member's offsets, all or nothing.

    Its transactional id is unique to the process; a member that lost its partitions is fenced by the
    group generation sent with the offsets (KIP-447), and the transaction of a member killed mid-way is
    aborted by the broker after ``timeout_ms``: readers see neither its messages nor its offsets."""

    def __init__(self, settings: Settings, transactional_id: str, timeout_ms: int) -> None:
        self._producer = producer(settings, transactional_id=transactional_id, transaction_timeout_ms=timeout_ms,
                                  linger_ms=5, retries=2**31 - 1)
        self._producer.init_transactions()

    def send(
        self, messages: Iterable[tuple[str, str, bytes]], consumed: Iterable[ConsumedMessage], member: GroupMember
    ) -> None:
        """Write ``(topic, key, value)`` messages and commit
        ``member``'s offsets past ``consumed``, in one transaction; aborted and raised on any error."""
        kp = self._producer
        kp.begin_transaction()
        try:
            for topic, key, value in messages:
                kp.send(topic, key=key.encode(), value=value)
            offsets = member.next_offsets(consumed)
            if offsets:
                kp.send_offsets_to_transaction(offsets, member.group_metadata())
            kp.commit_transaction()
        except Exception:
            with contextlib.suppress(KafkaError):
                kp.abort_transaction()
            raise

    def close(self) -> None:
        self._producer.close(timeout=10)


def read_to_end(topic: str, partitions: Iterable[int], *, settings: Settings, timeout_s: float = 120.0) -> list[
        ConsumedMessage]:
    """Every committed message of ``partitions`` of ``topic`` from the first to the last.

    The end is taken once no transaction is open on them (the last stable offset has reached the high
    watermark), so the state of a member killed mid-transaction is read only after the broker has aborted
    it. Raises TimeoutError when that does not happen within ``timeout_s``."""
    from kafka import TopicPartition

    s = settings
    tps = [TopicPartition(topic, p) for p in partitions]
    if not tps:
        return []
    committed = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, isolation_level="read_committed",
                              enable_auto_commit=False, max_partition_fetch_bytes=s.max_message_bytes + 65536)
    written = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            stable, high = committed.end_offsets(tps), written.end_offsets(tps)
            if stable == high:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: a transaction stayed open on {sorted(partitions)} for {timeout_s:.0f}s")
            time.sleep(0.5)
        committed.assign(tps)
        committed.seek_to_beginning(*tps)
        messages: list[ConsumedMessage] = []
        while any(committed.position(tp) < stable[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: not read to its end within {timeout_s:.0f}s")
            for records in committed.poll(timeout_ms=500).values():
                messages.extend(_consumed(record) for record in records)
        return messages
    finally:
        committed.close()
        written.close()
