"""The ingest job's writes, on a thread of their own, so a batch is written while the next one fills.

A processed batch (valid records and dead letters) is first prepared (``prepare``): each record stamped
with ``indexed_at`` and serialised once, to the JSON text of its index action, which is also its message
on its topic. The prepared batch is what the job keeps in its state while the batch is written (text
pickles ten times faster than the records' models) and what a restored job writes again, byte for byte.
It is written in one order: the Elasticsearch bulk write first, then the records and dead letters to
their topics, then the producer's acknowledgements (targeting reads what a record links to from the
index, so a record is on its topic only once it is indexed).

``BatchWriter`` runs these writes one batch at a time on a daemon thread. The job keeps each batch in
keyed state until its write is settled (``Future.result``), so a checkpoint taken while a batch is being
written still carries it and a restored job writes it again; the writes are idempotent (deterministic
``_id``) and consumers of the topics take a record again as the same record.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.records import Record, Rejection
from sekisho import es_io, kafka_io
from sekisho.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessedBatch:
    valid: Sequence[Record]
    rejected: Sequence[Rejection]

    def __len__(self) -> int:
        return len(self.valid) + len(self.rejected)


@dataclass(frozen=True)
class PreparedBatch:
    """A batch as it is written: per record its topic and its index action, whose source is the record's
    JSON text (``es_io.bulk_action``)."""

    writes: tuple[tuple[str, dict[str, Any]], ...]

    def __len__(self) -> int:
        return len(self.writes)


def prepare(batch: ProcessedBatch | PreparedBatch, settings: Settings) -> PreparedBatch:
    """Stamp ``indexed_at`` and serialise every record of the batch once (a prepared batch as it is: a
    batch restored from the state of an earlier version may still hold the records themselves)."""
    if isinstance(batch, PreparedBatch):
        return batch
    stamp = {"indexed_at": datetime.now(UTC)}
    outgoing: list[tuple[str, Record | Rejection]] = [
        *((settings.topic("records"), r.model_copy(update=stamp)) for r in batch.valid),
        *((settings.topic("deadletter"), r.model_copy(update=stamp)) for r in batch.rejected),
    ]
    return PreparedBatch(tuple((topic, es_io.bulk_action(record, settings, source=es_io.document_json(record)))
                               for topic, record in outgoing))


def fail_once(settings: Settings, step: str, size: int) -> None:
    """Recovery drill (``flink_fault_once_file``): fail this step of a batch once, as a crashed worker
    would. The file names the step (``flush``, the default, or ``write``)."""
    drill = settings.flink_fault_once_file
    if drill is None or not drill.exists():
        return
    try:
        wanted = drill.read_text().strip() or "flush"
    except OSError:
        return
    if wanted == step:
        drill.unlink(missing_ok=True)
        raise RuntimeError(f"recovery drill: failing the {step} of a batch of {size} records once")


def write_batch(batch: ProcessedBatch | PreparedBatch, settings: Settings, producer: Any) -> None:
    """Bulk-write to Elasticsearch, send to the records and dead-letter topics, and wait for every
    acknowledgement; raises if any write failed (a record Kafka did not take fails the batch: it stays in
    the job's state)."""
    fail_once(settings, "write", len(batch))
    writes = prepare(batch, settings).writes
    es_io.write_actions([action for _, action in writes], settings)
    kafka_io.send_all(producer, ((topic, action["_id"], action["_source"].encode()) for topic, action in writes))


class BatchWriter:
    """One daemon thread writing submitted batches in order (``write_batch``); ``submit`` returns a
    future the caller settles before it forgets the batch."""

    def __init__(self, settings: Settings, producer: Any) -> None:
        self.settings = settings
        self.producer = producer
        self._queue: queue.SimpleQueue[tuple[ProcessedBatch | PreparedBatch, Future[None]] | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sekisho-batch-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: ProcessedBatch | PreparedBatch) -> Future[None]:
        done: Future[None] = Future()
        self._queue.put((batch, done))
        return done

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            batch, done = item
            if not done.set_running_or_notify_cancel():
                continue
            try:
                write_batch(batch, self.settings, self.producer)
            except BaseException as exc:  # handed to the job thread, which fails the task
                done.set_exception(exc)
            else:
                done.set_result(None)

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the batches already submitted (waits at most ``timeout``; the thread is a daemon)."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("batch writer still writing after %.0f s at close; its batches stay in state", timeout)
