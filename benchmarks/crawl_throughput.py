"""Crawl throughput: a bare Scrapy spider against the full Sekisho crawl, on the same local site.

Usage: ``.venv/bin/python benchmarks/crawl_throughput.py [--pages 5000] [--rounds 2] [--concurrency 16]``

The fixture site runs in its own process with a generated section of ``--pages`` listing pages (a tree,
fanout 10). Both crawls run in this process, in the same reactor, with the same concurrency (requests and
``CONCURRENT_ITEMS``), no delay and robots.txt obeyed:

- baseline: a bare ``scrapy.Spider`` that follows every link with a ``LinkExtractor`` and yields nothing;
- Sekisho: the generic source spider with safety, budget and conditional-request middlewares, listing
  extraction (selectors, prices, phones, e-mails, language), content hashing and change detection, every
  page archived as WARC (evidence copies; ``--no-evidence`` for comparison) and records on Kafka's raw topic;
  decoding, parsing, link extraction with the follow rules, extraction, change detection, archiving and sends
  run in the crawl's worker process (``crawlers.emitter_process``; the reactor schedules the links it gets
  back); the frontier in Elasticsearch (``--no-stack`` uses the in-memory frontier and a collecting sink
  instead, with the record stage on a worker thread and the links found on the reactor thread).

Rounds alternate baseline and Sekisho (the machine is shared and noisy); the best round of each is
compared. CPU is reported for this process plus Sekisho's worker process (its whole life, start-up
included), and for the reactor thread alone. A last Sekisho recrawl of the same site shows the incremental
path (304s, nothing re-emitted).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers import settings as crawl_defaults  # noqa: E402
from crawlers.frontier import ElasticsearchFrontier, Frontier, InMemoryFrontier  # noqa: E402
from crawlers.heap import settle_heap  # noqa: E402
from crawlers.runner import call_in_reactor, guarded_resolver, run_crawl  # noqa: E402
from crawlers.safety import parse_allowances  # noqa: E402
from crawlers.sinks import CollectingSink, RecordSink  # noqa: E402
from crawlers.sources import SourceDefinition, source_from_mapping  # noqa: E402
from sekisho.settings import Settings, get_settings  # noqa: E402


def start_site(pages: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "crawlers.fixture_site.server", "--port", "0", "--big", str(pages)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "fixture site on http://127.0.0.1:PORT (...)"
    return process, line.split()[3]


@dataclass(frozen=True)
class Run:
    pages: int
    wall_s: float
    cpu_s: float  # this process (all threads) and the crawl's emitter process; the site runs elsewhere
    emitted: int = 0
    reactor_cpu_s: float = 0.0  # the crawl (reactor) thread alone
    worker_cpu_s: float = 0.0  # the emitter process alone (archiving, serialisation, Kafka sends)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / max(self.pages, 1)

    @property
    def reactor_ms_per_page(self) -> float:
        return 1000 * self.reactor_cpu_s / max(self.pages, 1)

    @property
    def worker_ms_per_page(self) -> float:
        return 1000 * self.worker_cpu_s / max(self.pages, 1)

    def __str__(self) -> str:
        emitted = f", {self.emitted} records emitted" if self.emitted else ""
        return (
            f"{self.pages} pages in {self.wall_s:.2f}s = {self.pages_per_s:.0f} pages/s, "
            f"{self.cpu_ms_per_page:.2f} ms CPU/page ({self.reactor_ms_per_page:.2f} in the reactor thread, "
            f"{self.worker_ms_per_page:.2f} in the emitter process){emitted}"
        )


def measure(crawl: Callable[[], tuple[int, int, float]]) -> Run:
    before = resource.getrusage(resource.RUSAGE_SELF)
    reactor_before: float = call_in_reactor(time.thread_time)
    started = time.perf_counter()
    pages, emitted, worker_cpu = crawl()
    wall = time.perf_counter() - started
    reactor_after: float = call_in_reactor(time.thread_time)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + worker_cpu
    return Run(pages, wall, cpu, emitted, reactor_after - reactor_before, worker_cpu)


def sekisho_crawl(
    source: SourceDefinition, settings: Settings, frontier: Frontier | str, sink: RecordSink | str
) -> tuple[int, int, float]:
    report = run_crawl(source, settings, frontier=frontier, sink=sink)
    return report.pages, report.emitted, float(report.stats.get("sekisho/evidence/worker_cpu_s", 0.0))


def bare_crawl(start_url: str, concurrency: int) -> tuple[int, int, float]:
    """The baseline: Scrapy alone, following links, no items."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerRunner
    from scrapy.http import Response, TextResponse
    from scrapy.linkextractors import LinkExtractor

    class BareSpider(Spider):
        name = "bare"
        links = LinkExtractor(allow=[r"/big/"])

        async def start(self) -> AsyncIterator[Any]:
            yield Request(start_url, callback=self.parse)

        def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
            if isinstance(response, TextResponse):
                for link in self.links.extract_links(response):
                    yield Request(link.url, callback=self.parse)

    settings = {
        "TWISTED_REACTOR": None,
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_ITEMS": crawl_defaults.CONCURRENT_ITEMS,  # the same Scrapy tuning as Sekisho's crawls
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "USER_AGENT": get_settings().crawl_user_agent,
    }
    result: dict[str, Any] = {}

    def crawl() -> Any:
        runner = CrawlerRunner(settings)
        crawler = runner.create_crawler(BareSpider)

        def done(_: None) -> None:
            result.update(crawler.stats.get_stats() if crawler.stats else {})

        return runner.crawl(crawler).addCallback(done)

    call_in_reactor(crawl)
    return int(result.get("downloader/response_count", 0)), 0, 0.0


def sekisho_source(base: str, pages: int, concurrency: int) -> SourceDefinition:
    return source_from_mapping(
        {
            "name": "bench-big",
            "kind": "listing",
            "start_urls": ["{fixture_site}/big/index.html"],
            "follow": [{"allow": [r"/big/p/\d+\.html$"], "parse": True}],
            "recrawl_interval": 0,
            "budget": pages * 2,
            "max_depth": 10,
            "politeness": {"delay_s": 0, "concurrency_per_domain": concurrency, "autothrottle": False},
        },
        base,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-stack", action="store_true", help="in-memory frontier and sink (no Kafka/ES)")
    parser.add_argument("--no-evidence", action="store_true", help="do not archive pages as WARC (for comparison)")
    args = parser.parse_args()

    base_settings = get_settings()
    home = ROOT / "var" / "bench-crawl"
    settings: Settings = base_settings.model_copy(
        update={
            "namespace": f"bench{uuid.uuid4().hex[:8]}",
            "home": home,
            "crawl_evidence": not args.no_evidence,
        }
    )
    use_stack = not args.no_stack
    if use_stack:
        from sekisho import es_io, kafka_io

        if not (es_io.is_healthy(settings) and kafka_io.wait_until_reachable(settings, timeout_s=5)):
            sys.exit("the local stack is not running: `sekisho stack up`, or use --no-stack")
        kafka_io.ensure_topics(settings, ["raw"])
        # One-off process start-up (imports, the status index) is not crawl throughput: pay it before timing.
        ElasticsearchFrontier(settings)

    # The crawl settles the collector once per process (crawlers.heap); do it before round 1 so the
    # baseline runs with the same collector settings in every round.
    import crawlers.spiders  # noqa: F401

    settle_heap()
    process, base = start_site(args.pages)
    settings = settings.model_copy(update={"crawl_allowed_private_targets": [base.split("//", 1)[1]]})
    # The bare spider goes through the same guarded resolver: let it reach the local site from round 1 on.
    guarded_resolver().allow(parse_allowances(settings.crawl_allowed_private_targets))
    print(
        f"site {base}: {args.pages} generated pages, concurrency {args.concurrency}, "
        f"{'Kafka + Elasticsearch' if use_stack else 'in-memory frontier and sink'}, "
        f"evidence copies {'off' if args.no_evidence else 'on (WARC)'}; load average {os.getloadavg()[0]:.1f}"
    )
    source = sekisho_source(base, args.pages, args.concurrency)
    bare: list[Run] = []
    full: list[Run] = []
    frontier: Frontier | str = "elasticsearch" if use_stack else InMemoryFrontier()
    sink: RecordSink | str = "kafka" if use_stack else CollectingSink()
    run_source = source
    try:
        for round_number in range(1, args.rounds + 1):
            bare.append(measure(lambda: bare_crawl(f"{base}/big/index.html", args.concurrency)))
            print(f"round {round_number} baseline: {bare[-1]}")
            # A fresh source name per round: each round starts with an empty frontier, like the baseline.
            run_source = source.model_copy(update={"name": f"bench-big-{round_number}"})
            full.append(measure(partial(sekisho_crawl, run_source, settings, frontier, sink)))
            print(f"round {round_number} sekisho:  {full[-1]}")
        recrawl = measure(partial(sekisho_crawl, run_source, settings, frontier, sink))
        print(f"sekisho recrawl (all due, 304s): {recrawl}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if use_stack:
            from sekisho import es_io, kafka_io

            es_io.delete_namespace(settings)
            kafka_io.delete_topics([settings.topic("raw")], settings)
        shutil.rmtree(home / "crawl" / "evidence", ignore_errors=True)

    best_bare = max(bare, key=lambda r: r.pages_per_s)
    best_full = max(full, key=lambda r: r.pages_per_s)
    print(f"\nbaseline (bare Scrapy): {best_bare.pages_per_s:.0f} pages/s, {best_bare.cpu_ms_per_page:.2f} ms CPU/page")
    print(f"sekisho (full crawl):   {best_full.pages_per_s:.0f} pages/s, {best_full.cpu_ms_per_page:.2f} ms CPU/page")
    ratio = best_full.pages_per_s / best_bare.pages_per_s
    print(f"ratio (pages/s, best of {args.rounds}): {ratio:.2f}x (goal >= 0.8x)")
    cpu_ratio = min(r.cpu_ms_per_page for r in bare) / min(r.cpu_ms_per_page for r in full)
    print(f"ratio (CPU per page, lowest of {args.rounds}): {cpu_ratio:.2f}x")
    reactor_ratio = min(r.reactor_ms_per_page for r in bare) / min(r.reactor_ms_per_page for r in full)
    print(f"ratio (reactor-thread CPU per page, lowest of {args.rounds}): {reactor_ratio:.2f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared)")


if __name__ == "__main__":
    main()
