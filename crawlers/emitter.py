"""The crawl's back half, off the reactor thread: evidence copies, change history, serialisation, sends.

The reactor thread (Scrapy) only extracts a record and decides whether it is new, changed or unchanged;
it hands the page to ``RecordEmitter.submit`` (a queue put) and moves on. One worker thread takes what is
queued in batches and, per page, writes the WARC copy (``crawlers.warc_archive``), stamps the record with
its evidence pointer, diffs a changed page's fields against its previous archived copy, and sends the
record to the sink (whose ``send`` serialises it and queues it on the Kafka producer). Compression and
hashing release the GIL, so most of the worker's time does not compete with the crawl.

A page whose copy cannot be written is still emitted, without evidence, and counted with a warning
(``archive_failed``); a record the sink refuses is raised by ``flush`` at the end of the crawl.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from crawlers.extractors import FetchedPage, extract_record
from crawlers.sinks import RecordSink
from crawlers.sources import SourceDefinition
from crawlers.warc_archive import WarcArchive, decoded_text, header_pairs, read_copy
from schemas.records import CrawledPage, Evidence, FieldChange

log = logging.getLogger(__name__)

Outcome = Literal["new", "changed", "unchanged", "duplicate", "not_modified", "hub"]
_REVISITS = ("unchanged", "duplicate", "not_modified")

# The fields an analyst compares between two copies of a page (text last: it is long and changes most).
DIFF_FIELDS = (
    "title",
    "price",
    "price_currency",
    "seller",
    "ship_from",
    "phones",
    "emails",
    "image_urls",
    "published_at",
    "list_name",
    "text",
)
_MAX_VALUE = 300
HANDOFF = 64  # pages per hand-off to the worker
HANDOFF_S = 0.5  # or after this long, when pages come slower


@dataclass(frozen=True)
class Emission:
    """One fetched page: its record (none for a hub page, which is archived but not emitted) and outcome."""

    page: FetchedPage
    record: CrawledPage | None
    outcome: Outcome


def _shown(value: object) -> str | None:
    if value is None or value == []:
        return None
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def field_changes(before: CrawledPage, after: CrawledPage) -> list[FieldChange]:
    """The extracted fields that differ between two versions of a page, in ``DIFF_FIELDS`` order."""
    changes = []
    for name in DIFF_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(FieldChange(field=name, before=_shown(old), after=_shown(new)))
    return changes


@dataclass
class EmitterStats:
    archived: int = 0
    revisits: int = 0
    archive_failed: int = 0
    diffed: int = 0
    sent: int = 0
    warnings: list[str] = field(default_factory=list)


class RecordEmitter:
    """A worker thread that archives, diffs and sends what the crawl hands it, in batches."""

    def __init__(self, source: SourceDefinition, sink: RecordSink, archive: WarcArchive | None) -> None:
        self.source = source
        self.sink = sink
        self.archive = archive
        self.stats = EmitterStats()
        self._queue: queue.SimpleQueue[list[Emission] | None] = queue.SimpleQueue()
        self._buffer: list[Emission] = []  # filled by the crawl thread, handed over in batches
        self._buffer_since = 0.0
        self._pending = 0
        self._idle = threading.Condition()
        self._errors: list[BaseException] = []
        self._thread: threading.Thread | None = None

    def submit(self, emission: Emission) -> None:
        """Queue a page (called in the reactor thread; never blocks on I/O).

        Pages are handed to the worker in batches: every hand-off wakes the worker, which then competes with
        the crawl for the GIL, so one wake-up per ``HANDOFF`` pages (or per ``HANDOFF_S`` seconds of slower
        crawling; the rest at ``flush``) costs the crawl far less than one per page.
        """
        buffer = self._buffer
        if not buffer:
            self._buffer_since = time.monotonic()
        buffer.append(emission)
        if len(buffer) >= HANDOFF or time.monotonic() - self._buffer_since >= HANDOFF_S:
            self._hand_off()

    def _hand_off(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        with self._idle:
            self._pending += len(batch)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"emitter-{self.source.name}", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            try:
                self._handle(batch)
            except BaseException as exc:  # kept and raised by flush(): the crawl's end reports it
                self._errors.append(exc)
            finally:
                with self._idle:
                    self._pending -= len(batch)
                    self._idle.notify_all()

    def _handle(self, batch: list[Emission]) -> None:
        records = [record for record in map(self._archived, batch) if record is not None]
        if self.archive is not None:
            self.archive.flush()  # a record leaves only once the copy it points to is on disk
        for record in records:
            try:
                self.sink.send(record)
                self.stats.sent += 1
            except Exception as exc:  # raised by flush(); the rest of the batch is still sent
                self._errors.append(exc)

    def _archived(self, emission: Emission) -> CrawledPage | None:
        """The record to send (stamped with its evidence), after archiving the page."""
        page, record, archive = emission.page, emission.record, self.archive
        if emission.outcome in _REVISITS:
            record = None  # nothing is emitted; the archive notes the visit
        if archive is None:
            return record
        try:
            response_headers = header_pairs(page.headers)
            if emission.outcome in _REVISITS:
                written = archive.write_revisit(
                    url=page.url,
                    canonical=page.canonical,
                    status=page.status,
                    fetched_at=page.fetched_at,
                    response_headers=response_headers,
                    body=None if emission.outcome == "not_modified" else page.body,
                    protocol=page.protocol,
                )
                if written is None:
                    self._warn(f"{page.url} answered 304 but its archived copy is gone (retention): visit not noted")
                else:
                    self.stats.revisits += 1
                return None
            previous = archive.latest(page.canonical) if emission.outcome == "changed" else None
            evidence = archive.write_response(
                url=page.url,
                canonical=page.canonical,
                status=page.status,
                body=page.body,
                fetched_at=page.fetched_at,
                response_headers=response_headers,
                request_headers=header_pairs(page.request_headers),
                method=page.method,
                protocol=page.protocol,
            )
            self.stats.archived += 1
        except Exception as exc:
            self._warn(f"evidence copy of {page.url} not written: {exc!r}")
            return record
        if record is None:
            return None
        update: dict[str, object] = {"evidence": evidence}
        if previous is not None and previous.digest != evidence.digest:
            update["previous_evidence"] = previous
            update["changes"] = self._changes_since(previous, record)
        return record.model_copy(update=update)

    def _changes_since(self, previous: Evidence, record: CrawledPage) -> list[FieldChange]:
        """Re-extract the previous archived copy with the same source rules and compare the fields."""
        assert self.archive is not None
        try:
            copy = read_copy(self.archive.directory, previous.id)
            content_type = (copy.header("Content-Type") or "").split(";", 1)[0].strip().lower()
            old_page = FetchedPage(
                url=copy.url,
                status=record.http_status or 200,
                body=copy.body,
                fetched_at=previous.fetched_at,
                content_type=content_type,
                text=decoded_text(copy.body, copy.header("Content-Type")),
            )
            before = extract_record(self.source, old_page, list_name=record.list_name)
        except Exception as exc:
            self._warn(f"previous copy {previous.id} of {record.url} not compared: {exc!r}")
            return []
        self.stats.diffed += 1
        return field_changes(before, record)

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.stats.archive_failed += 1
        if len(self.stats.warnings) < 100:
            self.stats.warnings.append(message)

    def flush(self) -> None:
        """Wait until everything submitted is archived and handed to the sink, then flush the sink."""
        self._hand_off()
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)
        if self._errors:
            errors, self._errors = self._errors, []
            raise RuntimeError(f"{len(errors)} records or batches not emitted; first: {errors[0]!r}") from errors[0]
        self.sink.flush()

    def close(self) -> None:
        """Flush, stop the worker and close the archive (the sink belongs to whoever made it)."""
        try:
            self.flush()
        finally:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None
            if self.archive is not None:
                self.archive.close()
