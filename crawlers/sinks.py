"""Where crawled records go: Kafka's raw topic in real runs, a list in unit tests.

The value is the record's canonical JSON (parsed by the stream job's ``canonical-json`` parser like any
other record) and the key is its deterministic id, so a re-emitted page overwrites, never duplicates.
"""

from __future__ import annotations

import threading
from typing import Protocol

from schemas.records import CrawledPage
from sekisho.settings import Settings


class RecordSink(Protocol):
    def send(self, record: CrawledPage) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def canonical_json(record: CrawledPage) -> bytes:
    return record.model_dump_json(exclude_none=True).encode("utf-8")


class CollectingSink:
    """Keeps records in memory (tests, dry runs); thread-safe because crawls run in a reactor thread."""

    def __init__(self) -> None:
        self.records: list[CrawledPage] = []
        self._lock = threading.Lock()

    def send(self, record: CrawledPage) -> None:
        with self._lock:
            self.records.append(record)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


class KafkaSink:
    """Batches records onto the raw topic through ``streams.kafka_io`` (one producer per crawl)."""

    def __init__(self, settings: Settings, batch_size: int = 200, topic: str | None = None) -> None:
        from streams import kafka_io

        self._kafka = kafka_io
        self._settings = settings
        self._topic = topic or settings.topic("raw")
        self._batch_size = batch_size
        self._batch: list[kafka_io.RawMessage] = []
        self._producer = kafka_io.producer(settings)
        self.sent = 0

    def send(self, record: CrawledPage) -> None:
        self._batch.append(
            self._kafka.RawMessage(
                payload=canonical_json(record),
                source=record.source or f"crawl:{record.source_name}",
                format_hint="canonical-json",
                key=record.id,
                headers={"record_type": record.record_type, "kind": record.kind},
            )
        )
        if len(self._batch) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self.sent += self._kafka.produce_raw(
                batch, topic=self._topic, settings=self._settings, client=self._producer
            )

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._producer.close(timeout=10)
