"""The crawl's back half, off the reactor thread: records, change detection, evidence copies, sends, links.

The reactor thread (Scrapy) fetches, schedules the links it is given and keeps the frontier; for each fetched
page it hands the page, undecoded, to an ``Emitter`` and moves on. ``RecordStage`` is the work itself, per
page: decode and parse it once, find the links the crawl follows (``crawlers.links``), extract the record
(``crawlers.extractors``), decide whether it is new, changed, unchanged or a duplicate of another URL's
content, store a changed watchlist file, write the WARC copy (``crawlers.warc_archive``), stamp the record
with its evidence pointer and diff a changed page's fields against its previous archived copy. What the
crawl must learn comes back to the reactor thread: the links (``FollowLink``s, as soon as a batch is parsed)
and, once the records are sent, what the frontier keeps (``PageResult``s: content hash, record id, outcome),
applied there, so the frontier keeps one writer.

The stage runs in a worker process for crawls to Kafka (``crawlers.emitter_process``: no share of the
crawl's GIL) and in ``RecordEmitter``'s worker thread when the records go to a sink object of the
caller's (tests, ``--sink none``); there the links are found on the crawl thread, as the page is submitted.

A page whose copy cannot be written is still emitted, without evidence, and counted with a warning
(``archive_failed``); a page whose extraction fails is counted (``extract_failed``) with a warning and
recorded as an error in the frontier; a record the sink refuses is raised by ``flush`` at the end of the
crawl.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from crawlers.extractors import FetchedPage, extract_record
from crawlers.frontier import change_of
from crawlers.links import FollowLink, LinkFinder, decoded
from crawlers.sinks import RecordSink
from crawlers.sources import SourceDefinition
from crawlers.warc_archive import WarcArchive, decoded_text, header_pairs, read_copy
from schemas.records import CrawledPage, Evidence, FieldChange
from sekisho.list_store import store_list_file

log = logging.getLogger(__name__)

Outcome = Literal["new", "changed", "unchanged", "duplicate", "failed"]
Handling = Literal["parse", "hub", "not_modified"]

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
    """One fetched page and what to do with it.

    ``parse``: extract a record and emit it if its content is new or changed (``previous_hash`` is the
    content hash last emitted for the URL); ``hub``: a page followed for its links, archived only;
    ``not_modified``: a 304, noted in the archive as a visit. ``follow_depth``: the depth its links get when
    the crawl follows them (None: its links are not followed).
    """

    page: FetchedPage
    handling: Handling
    list_name: str | None = None
    previous_hash: str | None = None
    follow_depth: int | None = None


class PageResult(NamedTuple):
    """What the frontier learns from a parsed page (a tuple: cheap to send back from the worker process)."""

    canonical: str
    outcome: Outcome
    content_hash: str | None
    record_id: str | None
    kind: str | None
    detail: str | None  # the URL it duplicates, or why extraction failed


ResultHandler = Callable[[list[PageResult]], None]
LinkHandler = Callable[[list[FollowLink]], None]


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
    extract_failed: int = 0
    warnings: list[str] = field(default_factory=list)
    worker_restarts: int = 0  # worker processes that died and were replaced (crawlers.emitter_process)
    worker_cpu_s: float = 0.0  # CPU the worker process used (not in the crawling process's own figures)
    worker_start_cpu_s: float = 0.0  # of which its start (interpreter, imports, Kafka producer)


class Emitter(Protocol):
    """What the crawl hands fetched pages to: ``RecordEmitter`` (a thread) or ``ProcessEmitter``.

    ``on_results`` (set by the crawl) receives the ``PageResult``s and ``on_links`` the links to follow, in the
    crawl's own thread, during ``submit``, ``release``, ``settle_links`` and ``flush``.
    """

    on_results: ResultHandler | None
    on_links: LinkHandler | None

    @property
    def stats(self) -> EmitterStats: ...

    @property
    def outcomes(self) -> dict[str, int]:
        """Pages per outcome (new, changed, unchanged, duplicate, failed) and records per ``emitted/<kind>``."""
        ...

    def submit(self, emission: Emission) -> None: ...

    def release(self) -> None:
        """Hand the pages submitted so far over now, without waiting for a full batch (the crawl runs short
        of requests and waits for their links)."""
        ...

    def settle_links(self) -> None:
        """Hand everything over and wait until the links of every page submitted so far are delivered (the
        crawl is idle: nothing else to do)."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def page_and_links(
    finder: LinkFinder, emission: Emission, warn: Callable[[str], None]
) -> tuple[FetchedPage, list[FollowLink]]:
    """The emission's page decoded and parsed once, and the links of it to follow (none without a follow
    depth). Links that cannot be read are warned about; the page is still returned, to be recorded."""
    page = emission.page
    try:
        page, response = decoded(page)
        if response is None or emission.follow_depth is None:
            return page, []
        return page, finder.follow(response, emission.follow_depth)
    except Exception as exc:
        warn(f"links of {emission.page.url} not read: {exc!r}")
        return page, []


class RecordStage:
    """Turns a batch of fetched pages into the records to send, stamped with their evidence pointers.

    Shared by the in-process worker thread (``RecordEmitter``) and the worker process
    (``crawlers.emitter_process``): the same extraction, change detection, archive, stamping and diffing
    whichever runs it. One stage serves one crawl (duplicates are detected within it).
    """

    def __init__(self, source: SourceDefinition, archive: WarcArchive | None, list_dir: Path | None) -> None:
        self.source = source
        self.archive = archive
        self.list_dir = list_dir
        self.stats = EmitterStats()
        self.outcomes: dict[str, int] = {}  # outcome or "emitted/<kind>" -> pages
        self.finder = LinkFinder(source)
        self._content_owner: dict[str, str] = {}  # content hash -> the first URL that carried it this crawl

    def prepare(self, batch: list[Emission]) -> tuple[list[Emission], list[FollowLink]]:
        """The batch with each page decoded and parsed once (for its links and its record), and the links to
        follow. A page whose links cannot be read is warned about and still recorded."""
        prepared: list[Emission] = []
        links: list[FollowLink] = []
        for emission in batch:
            if emission.handling != "parse" and emission.follow_depth is None:
                prepared.append(emission)  # archived only: never decoded
                continue
            page, found = page_and_links(self.finder, emission, self._say)
            links.extend(found)
            prepared.append(replace(emission, page=page))
        return prepared, links

    def records(self, batch: list[Emission]) -> tuple[list[CrawledPage], list[PageResult]]:
        """The batch's records to send and what the frontier learns; every copy the records point to is
        flushed to disk before this returns."""
        records: list[CrawledPage] = []
        results: list[PageResult] = []
        for emission in batch:
            record, result = self._one(emission)
            if record is not None:
                records.append(record)
            if result is not None:
                results.append(result)
                self._count(result.outcome)
        if self.archive is not None:
            self.archive.flush()  # a record leaves only once the copy it points to is on disk
        return records, results

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def _count(self, key: str) -> None:
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def _one(self, emission: Emission) -> tuple[CrawledPage | None, PageResult | None]:
        page = emission.page
        if emission.handling != "parse":
            self._archive(page, "hub" if emission.handling == "hub" else "not_modified")
            return None, None
        try:
            page, _ = decoded(page)  # already done when the batch was prepared
            record = extract_record(self.source, page, list_name=emission.list_name)
        except Exception as exc:  # one unreadable page must not stop the crawl: counted, warned, recorded
            self.stats.extract_failed += 1
            self._warn(f"{page.url} not extracted: {exc!r}")
            detail = f"extract.{type(exc).__name__}"
            return None, PageResult(page.canonical, "failed", None, None, None, detail)
        content = record.content_hash or ""
        outcome: Outcome = change_of(emission.previous_hash, content)
        owner = self._content_owner.setdefault(content, record.canonical_url)
        if outcome != "unchanged" and owner != record.canonical_url:
            outcome = "duplicate"
        result = PageResult(
            record.canonical_url, outcome, content, record.id, record.kind, owner if outcome == "duplicate" else None
        )
        if outcome in ("unchanged", "duplicate"):
            self._archive(page, "revisit")  # nothing is emitted; the archive notes the visit
            return None, result
        if record.kind == "watchlist" and record.content_hash and self.list_dir is not None:
            stored = store_list_file(
                self.list_dir,
                record.list_name or record.source_name,
                record.content_hash,
                page.body,
                record.url,
                page.fetched_at.isoformat(),
            )
            record = record.model_copy(update={"raw_location": stored.path})
        self._count(f"emitted/{record.kind}")
        return self._stamped(page, record, outcome), result

    def _archive(self, page: FetchedPage, kind: Literal["hub", "revisit", "not_modified"]) -> None:
        archive = self.archive
        if archive is None:
            return
        try:
            if kind == "hub":
                self._write_response(archive, page)
                return
            written = archive.write_revisit(
                url=page.url,
                canonical=page.canonical,
                status=page.status,
                fetched_at=page.fetched_at,
                response_headers=header_pairs(page.headers),
                body=None if kind == "not_modified" else page.body,
                protocol=page.protocol,
            )
        except Exception as exc:
            self._warn(f"evidence copy of {page.url} not written: {exc!r}")
            return
        if written is None:
            self._warn(f"{page.url} answered 304 but its archived copy is gone (retention): visit not noted")
        else:
            self.stats.revisits += 1

    def _write_response(self, archive: WarcArchive, page: FetchedPage) -> Evidence:
        evidence = archive.write_response(
            url=page.url,
            canonical=page.canonical,
            status=page.status,
            body=page.body,
            fetched_at=page.fetched_at,
            response_headers=header_pairs(page.headers),
            request_headers=header_pairs(page.request_headers),
            method=page.method,
            protocol=page.protocol,
        )
        self.stats.archived += 1
        return evidence

    def _stamped(self, page: FetchedPage, record: CrawledPage, outcome: Outcome) -> CrawledPage:
        """The record to send, stamped with its evidence (and its changes), after archiving the page."""
        archive = self.archive
        if archive is None:
            return record
        try:
            previous = archive.latest(page.canonical) if outcome == "changed" else None
            evidence = self._write_response(archive, page)
        except Exception as exc:
            self._warn(f"evidence copy of {page.url} not written: {exc!r}")
            return record
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
        self.stats.archive_failed += 1
        self._say(message)

    def _say(self, message: str) -> None:
        log.warning(message)
        if len(self.stats.warnings) < 100:
            self.stats.warnings.append(message)


class BatchedHandOff:
    """Collects what the crawl thread submits and hands it over in batches (``_hand_off``, by subclasses).

    Every hand-off wakes a worker (or writes to a pipe), so one per ``HANDOFF`` pages (or per ``HANDOFF_S``
    seconds of slower crawling; the rest at ``flush``) costs the crawl far less than one per page.
    """

    def __init__(self) -> None:
        self._buffer: list[Emission] = []  # filled by the crawl thread
        self._buffer_since = 0.0

    def submit(self, emission: Emission) -> None:
        """Queue a page (called in the reactor thread; never waits on the worker's I/O)."""
        buffer = self._buffer
        if not buffer:
            self._buffer_since = time.monotonic()
        buffer.append(emission)
        if len(buffer) >= HANDOFF or time.monotonic() - self._buffer_since >= HANDOFF_S:
            self._hand_off()

    def release(self) -> None:
        self._hand_off()

    def _take(self) -> list[Emission]:
        batch, self._buffer = self._buffer, []
        return batch

    def _hand_off(self) -> None:
        raise NotImplementedError


class RecordEmitter(BatchedHandOff):
    """A worker thread that runs the record stage on what the crawl hands it, in batches, and sends.

    Used when the sink is an object of the caller's (tests, ``--sink none``); a crawl to Kafka runs the same
    stage in a worker process instead (``crawlers.emitter_process``).
    """

    def __init__(
        self,
        source: SourceDefinition,
        sink: RecordSink,
        archive: WarcArchive | None,
        list_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.sink = sink
        self.stage = RecordStage(source, archive, list_dir)
        self.on_results: ResultHandler | None = None
        self.on_links: LinkHandler | None = None
        self._queue: queue.SimpleQueue[list[Emission] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[list[PageResult]] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._errors: list[BaseException] = []
        self._thread: threading.Thread | None = None

    @property
    def stats(self) -> EmitterStats:
        return self.stage.stats

    @property
    def outcomes(self) -> dict[str, int]:
        return self.stage.outcomes

    def submit(self, emission: Emission) -> None:
        """Queue a page; its links are found here, on the crawl thread, and delivered at once (a thread of this
        process would not take the parsing off the crawl's GIL)."""
        if emission.follow_depth is not None:
            (emission,), links = self.stage.prepare([emission])
            if links and self.on_links is not None:
                self.on_links(links)
        super().submit(emission)

    def settle_links(self) -> None:
        return None  # delivered as each page is submitted

    def _hand_off(self) -> None:
        self._deliver_results()
        batch = self._take()
        if not batch:
            return
        with self._idle:
            self._pending += len(batch)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"emitter-{self.source.name}", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def _deliver_results(self) -> None:
        """Pass the worker's results to the crawl (in the crawl's thread, which owns the frontier)."""
        while not self._results.empty():
            results = self._results.get()
            if self.on_results is not None:
                self.on_results(results)

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
        records, results = self.stage.records(batch)
        for record in records:
            try:
                self.sink.send(record)
                self.stats.sent += 1
            except Exception as exc:  # raised by flush(); the rest of the batch is still sent
                self._errors.append(exc)
        self._results.put(results)

    def flush(self) -> None:
        """Wait until everything submitted is archived and handed to the sink, then flush the sink."""
        self._hand_off()
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)
        self._deliver_results()
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
            self.stage.close()
