"""The crawl's back half in a worker process: records, change detection, evidence copies, Kafka sends.

A worker thread only frees the crawl from the parts of its work that release the GIL; decoding, parsing,
link extraction, building WARC records, serialising records and kafka-python's sender are Python and hold
it. ``ProcessEmitter`` runs ``crawlers.emitter.RecordStage`` and the Kafka sink in a child process (``python
-m crawlers.emitter_process``), fed through a pipe: the crawl thread turns each page into plain values (body,
headers as dicts, the name of its Scrapy text class, the depth its links get, the URL's previous content
hash) and writes one pickled batch per ``HANDOFF`` pages (sooner when the crawl runs short of requests),
without a feeder thread. The pipes are enlarged so that a batch usually fits; when the worker falls behind,
the write waits (back-pressure on the crawl rather than unbounded memory).

The worker parses each batch first and sends its links back at once (``links``, before archiving and
sending; batches waiting in the pipe are parsed before the records of earlier ones are made), so the crawl
schedules them while the worker goes on with the records; the crawl reads them at its next hand-off, and
when it has nothing else to do (``settle_links``, on Scrapy's ``spider_idle``) it waits for them. Until the
worker has started (``ready``), the crawl finds the links of what it hands over itself.

Nothing valid is lost:

- the worker sends a batch's records only once the WARC copies they point to are on disk, and confirms the
  batch (``ack``, with its ``PageResult``s for the frontier) only once Kafka has acknowledged its records, so
  the frontier never records as emitted a page whose record could still be lost;
- the crawl keeps every batch until it is confirmed. If the worker dies (a broken pipe or end of file, its
  exit code is logged), the crawl warns, starts a new worker and hands it every unconfirmed batch again
  (records keep their deterministic ids, so a record sent twice overwrites itself; a page may get a second
  identical copy in the archive). After ``MAX_RESTARTS`` deaths the pages are counted as not emitted and
  ``flush`` raises, like a Kafka delivery error does.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import resource
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import crawlers
from crawlers.emitter import (
    BatchedHandOff,
    Emission,
    EmitterStats,
    Handling,
    LinkHandler,
    PageResult,
    RecordStage,
    ResultHandler,
    page_and_links,
)
from crawlers.extractors import FetchedPage
from crawlers.heap import settle_heap
from crawlers.links import FollowLink, LinkFinder
from crawlers.sources import SourceDefinition
from crawlers.warc_archive import WarcArchive
from sekisho.settings import Settings

log = logging.getLogger(__name__)

MAX_RESTARTS = 3
# A worker that answers nothing for this long while the crawl waits on it (a flush, the links of pages out)
# is taken for hung: it is killed and replaced like one that died. Its slowest legitimate work is one
# batch of pages, each bounded by the record stage's own limits, followed by a Kafka flush.
SILENCE_S = 120.0
PIPE_BYTES = 1024 * 1024  # Linux's default pipe-max-size: a batch of ordinary pages fits without waiting
_STAT_FIELDS = ("archived", "revisits", "archive_failed", "diffed", "sent", "extract_failed")

# One fetched page on the wire: plain values only (no Scrapy objects, no parsed tree).
WirePage = tuple[
    str,
    int,
    bytes,
    Any,
    str,
    str | None,
    str | None,
    dict[Any, Any],
    dict[Any, Any],
    str,
    str,
    Handling,
    str | None,
    str | None,
    int | None,
]


def wire_page(emission: Emission) -> WirePage:
    page = emission.page
    return (
        page.url,
        page.status,
        page.body,
        page.fetched_at,
        page.content_type,
        page.text,  # usually None: the worker decodes the body as Scrapy would (``markup``, crawlers.links)
        page.markup,
        dict(page.headers or {}),
        dict(page.request_headers or {}),
        page.method,
        page.protocol,
        emission.handling,
        emission.list_name,
        emission.previous_hash,
        emission.follow_depth,
    )


def emission_of(wire: WirePage) -> Emission:
    (
        url,
        status,
        body,
        fetched_at,
        content_type,
        text,
        markup,
        headers,
        request_headers,
        method,
        protocol,
        handling,
        list_name,
        previous_hash,
        follow_depth,
    ) = wire
    page = FetchedPage(
        url=url,
        status=status,
        body=body,
        fetched_at=fetched_at,
        content_type=content_type,
        text=text,
        markup=markup,
        headers=headers,
        request_headers=request_headers,
        method=method,
        protocol=protocol,
    )
    return Emission(page, handling, list_name, previous_hash, follow_depth)


def _enlarge(fd: int) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or above the system's maximum
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class WorkerDied(Exception):
    """The worker process is gone (broken pipe, end of file)."""


class ProcessEmitter(BatchedHandOff):
    """Hands pages to a worker process that makes their records, archives the pages and sends the records
    to Kafka's raw topic; the links to follow come back as soon as a batch is parsed, the worker's
    ``PageResult``s with its confirmations."""

    def __init__(
        self,
        source: SourceDefinition,
        settings: Settings,
        evidence_dir: str,
        warc_max_bytes: int,
        list_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self._start_message = pickle.dumps(("start", source, settings, evidence_dir, warc_max_bytes, list_dir))
        self.stats = EmitterStats()
        self.outcomes: dict[str, int] = {}
        self.on_results: ResultHandler | None = None
        self.on_links: LinkHandler | None = None
        self._links_pending: set[int] = set()  # batches handed over whose links have not come back
        self.silence_s = SILENCE_S  # how long a worker may leave the crawl waiting without a word
        self._ready = False  # whether the current worker has started (until then the crawl finds links itself)
        self._finder: LinkFinder | None = None
        self._confirmed: dict[str, int] = dict.fromkeys(_STAT_FIELDS, 0)  # totals of workers that died
        self._worker_stats: dict[str, int] = dict.fromkeys(_STAT_FIELDS, 0)  # the current worker's
        self._sequence = 0
        self._unconfirmed: dict[int, tuple[bytes, int]] = {}  # batch number -> (pickled batch, pages)
        self._errors: list[str] = []
        self._lost = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._to_worker: Connection | None = None
        self._from_worker: Connection | None = None
        self._start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- the worker's life ----------------------------------------------------------------------------

    def _start(self) -> None:
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        _enlarge(parent_writes)
        _enlarge(child_writes)  # links and confirmations: the worker rarely waits for the crawl to read them
        package_root = str(Path(crawlers.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "crawlers.emitter_process", str(child_reads), str(child_writes)],
            pass_fds=(child_reads, child_writes),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        os.close(child_reads)
        os.close(child_writes)
        self._to_worker = Connection(parent_writes, readable=False)
        self._from_worker = Connection(parent_reads, writable=False)
        self._worker_stats = dict.fromkeys(_STAT_FIELDS, 0)
        self._ready = False
        self._to_worker.send_bytes(self._start_message)

    def _stop_connections(self) -> None:
        for connection in (self._to_worker, self._from_worker):
            if connection is not None:
                connection.close()
        self._to_worker = self._from_worker = None

    def _replace_worker(self, why: str) -> None:
        """The worker died: warn, and hand every unconfirmed batch to a new one (or give up on them)."""
        code = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._process.wait(timeout=10)
        self._stop_connections()
        for name in _STAT_FIELDS:
            self._confirmed[name] += self._worker_stats[name]
        pages = sum(count for _, count in self._unconfirmed.values())
        self.stats.worker_restarts += 1
        if self.stats.worker_restarts > MAX_RESTARTS:
            self._lost += pages
            self._errors.append(
                f"the emitter process died {self.stats.worker_restarts} times (last: {why}, exit code {code}): "
                f"{pages} pages neither archived nor sent"
            )
            self._warn(self._errors[-1])
            self._unconfirmed.clear()
            self._links_pending.clear()  # their pages are counted as lost; no links will come
            self._process = None
            return
        self._warn(
            f"the emitter process died ({why}, exit code {code}); a new one takes over the "
            f"{len(self._unconfirmed)} batches ({pages} pages) it had not confirmed"
        )
        self._start()
        try:
            for number in sorted(self._unconfirmed):
                self._write(self._unconfirmed[number][0])
        except WorkerDied as exc:
            self._replace_worker(f"again: {exc}")

    def _write(self, blob: bytes) -> None:
        if self._to_worker is None:
            raise WorkerDied("no worker")
        try:
            self._to_worker.send_bytes(blob)
        except OSError as exc:
            raise WorkerDied(f"pipe: {exc!r}") from exc

    def _send(self, blob: bytes) -> None:
        """Write an unconfirmed batch; if the worker died, its replacement is handed every unconfirmed batch."""
        try:
            self._write(blob)
        except WorkerDied as exc:
            self._replace_worker(str(exc))

    # -- messages from the worker -----------------------------------------------------------------------

    def _receive(self, message: tuple[Any, ...]) -> str:
        kind = str(message[0])
        if kind == "ready":
            self._ready = True
        elif kind == "links":
            _, number, links = message
            # A batch handed to a replacement worker again sends its links again: delivered once.
            if number in self._links_pending:
                self._links_pending.discard(number)
                if links and self.on_links is not None:
                    self.on_links(links)
        elif kind == "ack":
            _, numbers, results, stats, warnings, errors = message
            for number in numbers:
                self._unconfirmed.pop(number, None)
            for result in results:
                outcome = self.outcomes
                outcome[result.outcome] = outcome.get(result.outcome, 0) + 1
                if result.record_id is not None and result.outcome in ("new", "changed"):
                    key = f"emitted/{result.kind}"
                    outcome[key] = outcome.get(key, 0) + 1
            if results and self.on_results is not None:
                self.on_results(results)
            self._worker_stats = stats
            for warning in warnings:
                self._note(warning)
            self._errors.extend(errors)
        elif kind == "closed":
            self.stats.worker_cpu_s += float(message[1])
            self.stats.worker_start_cpu_s += float(message[2])
        return kind

    def _read_available(self) -> None:
        """Take in confirmations already waiting (a poll, no wait)."""
        try:
            while self._from_worker is not None and self._from_worker.poll():
                self._receive(pickle.loads(self._from_worker.recv_bytes()))
        except (EOFError, OSError) as exc:
            self._replace_worker(f"reading: {exc!r}")

    def _next_message(self) -> tuple[Any, ...]:
        """The worker's next message, waiting at most ``silence_s``: a worker silent that long is killed
        (WorkerDied), so a hung worker is replaced instead of holding the crawl forever."""
        if self._from_worker is None:
            raise WorkerDied("no worker")
        if not self._from_worker.poll(self.silence_s):
            if self._process is not None:
                with contextlib.suppress(OSError):
                    self._process.kill()
            raise WorkerDied(f"no answer for {self.silence_s:.0f} s, killed")
        message: tuple[Any, ...] = pickle.loads(self._from_worker.recv_bytes())
        return message

    def _request(self, kind: str) -> None:
        """Ask the worker to flush (or close) and wait for its answer, replacing it if it dies meanwhile."""
        while self._process is not None:
            try:
                self._write(pickle.dumps((kind,)))
                while self._receive(self._next_message()) not in ("flushed", "closed"):
                    pass
                return
            except (WorkerDied, EOFError, OSError) as exc:
                self._replace_worker(f"waiting for {kind}: {exc!r}")

    # -- the emitter interface ----------------------------------------------------------------------------

    def _hand_off(self) -> None:
        batch = self._take()
        if not batch:
            return
        if self._process is None:  # gave up on the worker: count, do not hide
            self._lost += len(batch)
            return
        self._read_available()  # links and confirmations first: the worker never waits on a full pipe for long
        self._sequence += 1
        blob = pickle.dumps(("batch", self._sequence, list(map(wire_page, batch))), protocol=pickle.HIGHEST_PROTOCOL)
        self._unconfirmed[self._sequence] = (blob, len(batch))
        follows = any(emission.follow_depth is not None for emission in batch)
        if follows and self._ready:
            self._links_pending.add(self._sequence)
        self._send(blob)
        if follows and not self._ready:
            self._find_links_here(batch)
        self._read_available()

    def _find_links_here(self, batch: list[Emission]) -> None:
        """The links of a batch handed over while the worker is still starting (the interpreter, its imports and
        the Kafka producer take a second or two): found on this thread, so the crawl's first pages are not kept
        waiting; the worker's links for the batch are then ignored."""
        finder = self._finder = self._finder or LinkFinder(self.source)
        links: list[FollowLink] = []
        for emission in batch:
            if emission.follow_depth is not None:
                links.extend(page_and_links(finder, emission, self._warn)[1])
        if links and self.on_links is not None:
            self.on_links(links)

    def settle_links(self) -> None:
        """Hand over what is buffered and wait for the links of every batch handed over (a worker that dies
        meanwhile is replaced and sends them again)."""
        self._hand_off()
        while self._links_pending and self._process is not None:
            try:
                self._receive(self._next_message())
            except (WorkerDied, EOFError, OSError) as exc:
                self._replace_worker(f"waiting for links: {exc!r}")

    def flush(self) -> None:
        """Wait until the worker has archived and Kafka has acknowledged everything submitted."""
        self._hand_off()
        self._request("flush")
        self._sync_stats()
        if self._lost or self._errors:
            errors, self._errors = self._errors, []
            lost, self._lost = self._lost, 0
            raise RuntimeError(f"{lost} pages not archived or sent; {len(errors)} errors; first: {errors[:1]}")

    def close(self) -> None:
        """Flush, then stop the worker (its CPU time is added to ``stats.worker_cpu_s``)."""
        try:
            self.flush()
        finally:
            self._request("close")
            if self._process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=30)
                if self._process.returncode is None:
                    self._process.kill()
                    self._warn("the emitter process did not stop; killed")
                self._process = None
            self._stop_connections()
            self._sync_stats()

    def _sync_stats(self) -> None:
        for name in _STAT_FIELDS:
            setattr(self.stats, name, self._confirmed[name] + self._worker_stats[name])

    def _note(self, message: str) -> None:
        if len(self.stats.warnings) < 100:
            self.stats.warnings.append(message)

    def _warn(self, message: str) -> None:
        log.warning(message)
        self._note(message)


# -- the worker process -----------------------------------------------------------------------------------

CONFIRM_EVERY = 16  # batches: under a steady stream, confirm (waiting on Kafka) at least this often
LINKS_AHEAD = 4  # batches parsed (links sent) ahead of the one whose records are being made
IDLE_CHECK_S = 0.1  # with nothing to read for this long, see whether Kafka acknowledged what was sent


class _Worker:
    def __init__(
        self, source: SourceDefinition, settings: Settings, evidence_dir: str, max_bytes: int, list_dir: Path | None
    ) -> None:
        from crawlers.sinks import KafkaSink

        archive = WarcArchive(Path(evidence_dir), max_bytes) if evidence_dir else None
        self.stage = RecordStage(source, archive, list_dir)
        self.sink = KafkaSink(settings)
        self.handled: list[int] = []
        self.results: list[PageResult] = []  # of handled batches, sent with their confirmation
        self.errors: list[str] = []
        self.reported_warnings = 0

    def links(self, number: int, batch: list[WirePage], reply: Callable[[tuple[Any, ...]], None]) -> list[Emission]:
        """Parse the batch and send its links at once; the parsed pages wait for ``records``."""
        prepared, links = self.stage.prepare([emission_of(wire) for wire in batch])
        reply(("links", number, links))
        return prepared

    def records(self, number: int, prepared: list[Emission]) -> None:
        """Make, archive and send the batch's records."""
        records, results = self.stage.records(prepared)
        self.results.extend(results)
        for record in records:
            try:
                self.sink.send(record)
                self.stage.stats.sent += 1
            except Exception as exc:  # reported at the next confirmation; the rest of the batch is still sent
                self.errors.append(f"{record.id} not sent: {exc!r}")
        self.handled.append(number)

    def settled(self) -> bool:
        """Whether Kafka has acknowledged every record sent so far (checked without waiting)."""
        try:
            return self.sink.settled()
        except Exception as exc:  # a delivery failure: reported with the next confirmation
            self.errors.append(f"Kafka did not acknowledge: {exc!r}")
            return False

    def confirmation(self, wait: bool = True) -> tuple[Any, ...]:
        """Confirm every batch handled since the last confirmation, once Kafka acknowledged its records
        (``wait``: flush Kafka first; otherwise the caller checked ``settled``)."""
        numbers: list[int] = []
        results: list[PageResult] = []
        try:
            if wait:
                self.sink.flush()
            numbers, self.handled = self.handled, []
            results, self.results = self.results, []
        except Exception as exc:  # not confirmed: the crawl reports the error at its end
            self.errors.append(f"Kafka did not acknowledge: {exc!r}")
        stats = self.stage.stats
        warnings = stats.warnings[self.reported_warnings :]
        self.reported_warnings = len(stats.warnings)
        errors, self.errors = self.errors, []
        return ("ack", numbers, results, {name: getattr(stats, name) for name in _STAT_FIELDS}, warnings, errors)


def serve(reader: Connection, writer: Connection) -> None:
    """The worker's loop: batches in; links, then confirmations out; until ``close`` or the crawl's end of the
    pipe."""
    _, source, settings, evidence_dir, max_bytes, list_dir = pickle.loads(reader.recv_bytes())
    worker = _Worker(source, settings, evidence_dir, max_bytes, list_dir)
    settle_heap()  # imports and the Kafka producer are start-up (crawlers.heap)
    started_cpu = _cpu_s()  # interpreter start, imports, the Kafka producer: paid once per crawl

    def reply(message: tuple[Any, ...]) -> None:
        writer.send_bytes(pickle.dumps(message))

    reply(("ready",))
    parsed: deque[tuple[int, list[Emission]]] = deque()  # batches whose links went out, records not yet made

    def record_one() -> None:
        worker.records(*parsed.popleft())
        if len(worker.handled) >= CONFIRM_EVERY:
            reply(worker.confirmation())

    while True:
        # Links first: every batch waiting in the pipe is parsed and its links sent (up to LINKS_AHEAD batches
        # ahead) before the records of the oldest are made, so the crawl is not kept waiting for its requests
        # while the worker archives and sends.
        if parsed and (len(parsed) >= LINKS_AHEAD or not reader.poll(0)):
            record_one()
            continue
        # Between batches, confirm what Kafka has acknowledged without waiting on it (the producer lingers
        # to fill big batches); only every CONFIRM_EVERY batches does the worker wait, so the crawl keeps at
        # most that many unconfirmed batches in memory.
        if worker.handled and not parsed and not reader.poll(IDLE_CHECK_S):
            if worker.settled():
                reply(worker.confirmation(wait=False))
            continue
        try:
            message = pickle.loads(reader.recv_bytes())
        except EOFError:
            break  # the crawl is gone: nothing to confirm to
        kind = message[0]
        if kind == "batch":
            parsed.append((message[1], worker.links(message[1], message[2], reply)))
            continue
        while parsed:  # flush and close cover every batch received before them
            record_one()
        if kind == "flush":
            reply(worker.confirmation())
            reply(("flushed",))
        elif kind == "close":
            reply(worker.confirmation())
            worker.stage.close()
            worker.sink.close()
            reply(("closed", _cpu_s(), started_cpu))
            return


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="emitter process: %(levelname)s %(message)s")
    reader = Connection(int(argv[0]), writable=False)
    writer = Connection(int(argv[1]), readable=False)
    serve(reader, writer)


if __name__ == "__main__":
    main(sys.argv[1:])
