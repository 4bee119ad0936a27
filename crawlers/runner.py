"""Running crawls in-process: one Twisted reactor in a background thread, one ``CrawlerRunner`` per crawl.

A Twisted reactor cannot be restarted, so the CLI's continuous mode, ``--all`` and the tests (which crawl
the same site several times to check recrawls) all share one reactor started on first use. Callers block
on ``run_crawl``; everything Scrapy does happens in the reactor thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crawlers.context import FRONTIER, RECORD_SINK, Shared
from crawlers.frontier import Frontier
from crawlers.heap import settle_heap
from crawlers.resolver import GuardedResolver
from crawlers.safety import parse_allowances
from crawlers.settings import crawl_settings
from crawlers.sinks import RecordSink
from crawlers.sources import SourceDefinition
from sekisho.settings import Settings

T = TypeVar("T")

_reactor_lock = threading.Lock()
_reactor_thread: threading.Thread | None = None
_resolver: GuardedResolver | None = None


ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def _run_reactor(ready: threading.Event) -> None:
    from scrapy.utils.reactor import install_reactor, is_reactor_installed

    if not is_reactor_installed():
        # Scrapy's fast paths (spider output, item processing) are asyncio-based. Installed here, in the
        # reactor's own thread, so its event loop never becomes the caller's current loop.
        install_reactor(ASYNCIO_REACTOR)
    from twisted.internet import reactor

    global _resolver
    _resolver = GuardedResolver(reactor)
    _resolver.install_on_reactor()
    running: Any = reactor
    running.callWhenRunning(ready.set)
    running.run(installSignalHandlers=False)


def _ensure_reactor() -> Any:
    global _reactor_thread
    with _reactor_lock:
        if _reactor_thread is None:
            ready = threading.Event()
            _reactor_thread = threading.Thread(target=_run_reactor, args=(ready,), name="sekisho-reactor", daemon=True)
            _reactor_thread.start()
            if not ready.wait(timeout=30):
                raise RuntimeError("the Twisted reactor did not start")
    from twisted.internet import reactor

    return reactor


def guarded_resolver() -> GuardedResolver:
    """The DNS resolver of the crawl reactor (started on first use)."""
    _ensure_reactor()
    assert _resolver is not None
    return _resolver


def call_in_reactor(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` in the reactor thread and wait for its (Deferred) result."""
    from twisted.internet import threads

    reactor = _ensure_reactor()
    return threads.blockingCallFromThread(reactor, function, *args)


@dataclass(frozen=True)
class CrawlReport:
    source: str
    elapsed_s: float
    stats: dict[str, Any] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def pages(self) -> int:
        """Responses downloaded (including 304s, errors and robots.txt)."""
        return self.count("downloader/response_count")

    @property
    def emitted(self) -> int:
        return self.count("sekisho/emitted")

    @property
    def refused(self) -> int:
        return sum(int(v) for k, v in self.stats.items() if k.startswith("sekisho/refused/"))

    @property
    def warnings(self) -> list[str]:
        """What the crawl tolerated and must say: copies not written, pages not extracted, a worker that died."""
        return [str(w) for w in self.stats.get("sekisho/evidence/warnings", [])]

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, int]:
        return {
            "pages": self.pages,
            "emitted": self.emitted,
            "new": self.count("sekisho/new"),
            "changed": self.count("sekisho/changed"),
            "unchanged": self.count("sekisho/unchanged"),
            "not_modified": self.count("sekisho/not_modified"),
            "duplicates": self.count("sekisho/duplicate"),
            "refused": self.refused,
            "robots_forbidden": self.count("robotstxt/forbidden"),
            "http_errors": self.count("sekisho/http_error"),
            "fetch_failed": self.count("sekisho/fetch_failed"),
            "content_type_rejected": self.count("sekisho/content_type_rejected"),
            "budget_exhausted": self.count("sekisho/budget_exhausted"),
        }


def _crawl(source: SourceDefinition, values: dict[str, Any]) -> Any:
    from scrapy.crawler import CrawlerRunner

    from crawlers.spiders import SourceSpider

    runner = CrawlerRunner(values)
    crawler = runner.create_crawler(SourceSpider)

    def collect_stats(_: None) -> dict[str, Any]:
        return dict(crawler.stats.get_stats()) if crawler.stats else {}

    return runner.crawl(crawler, source=source).addCallback(collect_stats)


def run_crawl(
    source: SourceDefinition,
    settings: Settings,
    *,
    frontier: Frontier | str = "elasticsearch",
    sink: RecordSink | str = "kafka",
    **overrides: Any,
) -> CrawlReport:
    """Crawl ``source`` once (blocking).

    ``frontier`` is a ``Frontier`` or ``"elasticsearch"``/``"memory"``; ``sink`` a ``RecordSink`` or
    ``"kafka"``; ``overrides`` are Scrapy settings that win over the source's.
    """
    values = crawl_settings(source, settings, **overrides)
    import crawlers.spiders  # noqa: F401  Scrapy and the spider's imports are start-up: settle them with the rest

    settle_heap()
    guarded_resolver().allow(parse_allowances(settings.crawl_allowed_private_targets))
    values[FRONTIER] = frontier if isinstance(frontier, str) else Shared(frontier)
    values[RECORD_SINK] = sink if isinstance(sink, str) else Shared(sink)
    started = time.perf_counter()
    stats: dict[str, Any] = call_in_reactor(_crawl, source, values)
    return CrawlReport(source=source.name, elapsed_s=time.perf_counter() - started, stats=stats)
