"""The crawl frontier: per-URL status that makes recrawls incremental (StormCrawler's status index).

Each known URL has a ``UrlStatus``: when it is next due, the validators of its last fetch (ETag,
Last-Modified) for conditional requests, and the hash of its last emitted content for change detection.
Storage sits behind the small ``Frontier`` protocol: ``InMemoryFrontier`` for unit tests and
``ElasticsearchFrontier`` (through ``sekisho.es_io``) for real runs. A run loads its source's statuses
once into a ``CrawlState`` and writes changes back in batches, so the crawl never waits on a round trip
per URL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from schemas.documents import FetchStatus, UrlStatus
from schemas.indexed import STATUS_TYPE
from schemas.records import make_id
from sekisho.settings import Settings

Change = Literal["new", "changed", "unchanged"]

ERROR_BACKOFF_BASE = timedelta(minutes=5)


def status_id(canonical: str) -> str:
    return make_id(STATUS_TYPE, canonical)


def discovered(canonical: str, source_name: str, depth: int, now: datetime) -> UrlStatus:
    return UrlStatus(id=status_id(canonical), url=canonical, source_name=source_name, depth=depth, next_fetch_date=now)


def change_of(previous_hash: str | None, new_hash: str) -> Change:
    """Compare fetched content with the hash last emitted for the same URL (None: never emitted)."""
    if previous_hash is None:
        return "new"
    return "unchanged" if previous_hash == new_hash else "changed"


def after_fetch(
    previous: UrlStatus,
    *,
    now: datetime,
    interval_s: float,
    status: FetchStatus,
    http_status: int | None,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
    record_id: str | None = None,
    reason: str | None = None,
) -> UrlStatus:
    """The status after a fetch: success schedules the next recrawl, errors back off exponentially."""
    if status == "error":
        fails = previous.fail_count + 1
        backoff = min(ERROR_BACKOFF_BASE * (2 ** (fails - 1)), timedelta(seconds=interval_s))
        return previous.model_copy(
            update={
                "status": status,
                "http_status": http_status,
                "last_fetched": now,
                "fail_count": fails,
                "next_fetch_date": now + backoff,
                "reason": reason,
            }
        )
    update: dict[str, object] = {
        "status": status,
        "http_status": http_status,
        "last_fetched": now,
        "fail_count": 0,
        "reason": reason,
        "next_fetch_date": now + timedelta(seconds=interval_s),
    }
    # A 304 carries no new validators or content: keep what the earlier fetch stored.
    for key, value in (
        ("etag", etag),
        ("last_modified", last_modified),
        ("content_hash", content_hash),
        ("record_id", record_id),
    ):
        if value is not None:
            update[key] = value
    return previous.model_copy(update=update)


class Frontier(Protocol):
    """Where URL statuses persist between runs."""

    def load(self, source_name: str) -> list[UrlStatus]: ...

    def save(self, statuses: Sequence[UrlStatus]) -> None:
        """Store statuses; may return before they are durable (see ``wait``)."""
        ...

    def wait(self) -> None:
        """Block until everything saved so far is stored (raises if it could not be)."""
        ...


class InMemoryFrontier:
    """A frontier in a dict: unit tests, and runs that must not touch Elasticsearch."""

    def __init__(self) -> None:
        self._statuses: dict[str, UrlStatus] = {}
        self._lock = threading.Lock()

    def load(self, source_name: str) -> list[UrlStatus]:
        with self._lock:
            return [s for s in self._statuses.values() if s.source_name == source_name]

    def save(self, statuses: Sequence[UrlStatus]) -> None:
        with self._lock:
            for status in statuses:
                self._statuses[status.id] = status

    def wait(self) -> None:
        return None

    def all(self) -> list[UrlStatus]:
        with self._lock:
            return list(self._statuses.values())


class ElasticsearchFrontier:
    """The frontier as the ``<namespace>-crawl-status`` index, written through ``sekisho.es_io``.

    Bulk writes run in a background thread, so the crawl (in the reactor thread) never waits on
    Elasticsearch; ``wait`` (at the end of a crawl) blocks until they are all written.
    """

    IDLE_EXIT_S = 5.0

    def __init__(self, settings: Settings) -> None:
        from sekisho import es_io

        self._es = es_io
        self._settings = settings
        es_io.ensure_index(STATUS_TYPE, settings)
        self._queue: queue.Queue[list[UrlStatus]] = queue.Queue()
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None

    def _write_until_idle(self) -> None:
        while True:
            try:
                batch = self._queue.get(timeout=self.IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._writer = None  # the next save() starts a new writer
                        return
                continue
            try:
                self._es.write_records(batch, self._settings)
            except Exception as exc:  # kept and raised by wait(): the crawl's end reports it
                self._errors.append(exc)
            finally:
                self._queue.task_done()

    def load(self, source_name: str) -> list[UrlStatus]:
        self._es.refresh(self._settings)  # see the previous run's last (unrefreshed) bulk write
        query = {"term": {"source_name": source_name}}
        return [UrlStatus.model_validate(doc) for doc in self._es.scan(STATUS_TYPE, query, self._settings)]

    def save(self, statuses: Sequence[UrlStatus]) -> None:
        if not statuses:
            return
        with self._lock:
            self._queue.put(list(statuses))
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_until_idle, name="frontier-writer", daemon=True)
                self._writer.start()

    def wait(self) -> None:
        self._queue.join()
        if self._errors:
            errors, self._errors = self._errors, []
            raise RuntimeError(f"{len(errors)} frontier writes failed; first: {errors[0]!r}")


class CrawlState:
    """One run's view of a source's frontier: loaded once, changes flushed in batches."""

    # Large enough that a URL's "discovered" and "fetched" updates usually share one write.
    def __init__(self, frontier: Frontier, source_name: str, flush_every: int = 2000) -> None:
        self.frontier = frontier
        self.source_name = source_name
        self.flush_every = flush_every
        self._by_url: dict[str, UrlStatus] = {s.url: s for s in frontier.load(source_name)}
        self._dirty: dict[str, UrlStatus] = {}

    def __len__(self) -> int:
        return len(self._by_url)

    def get(self, canonical: str) -> UrlStatus | None:
        return self._by_url.get(canonical)

    def put(self, status: UrlStatus) -> None:
        self._by_url[status.url] = status
        self._dirty[status.url] = status
        if len(self._dirty) >= self.flush_every:
            self.flush()

    def due(self, now: datetime) -> list[UrlStatus]:
        """Known URLs whose next fetch date has passed (soonest first)."""
        far = datetime.max.replace(tzinfo=UTC)
        ready = [s for s in self._by_url.values() if s.status != "refused" and (s.next_fetch_date or far) <= now]
        return sorted(ready, key=lambda s: (s.depth, s.next_fetch_date or far))

    def flush(self, wait: bool = False) -> None:
        if self._dirty:
            batch = list(self._dirty.values())
            self._dirty.clear()
            self.frontier.save(batch)
        if wait:
            self.frontier.wait()


def now_utc() -> datetime:
    return datetime.now(UTC)
