"""The one generic spider: a source definition says where to start, what to follow and what to extract.

It stays thin: discovery (start pages, sitemaps, RSS/Atom feeds, JSON APIs, due URLs from the frontier;
discovery documents are asked conditionally like any page) and scheduling the links to follow are here;
extraction is ``crawlers.extractors`` (HTML, and PDF notices); safety, budget and conditional requests are
middlewares. A fetched page is recorded in the frontier and handed, undecoded, to the crawl's emitter, which
parses it once, off the reactor thread, for its links (``crawlers.links``: the source's follow rules) and its
record, detects changes, archives and sends (``crawlers.emitter``; a worker process for crawls to Kafka).

The links come back to ``follow_links``, which asks the frontier whether each is new or due and hands the
requests to Scrapy's engine with the depth, priority and Referer its spider middlewares would have given them;
every request still passes the downloader middlewares (target safety, offsite, robots.txt, budget). While
pages are out for their links the crawl is not over: on ``spider_idle`` the spider waits for them
(``Emitter.settle_links``), and when the scheduler runs short of requests it hands buffered pages over at
once. The spider yields no Scrapy items, whose per-item machinery (spider middleware passes, item pipelines,
signals) cost the crawl thread more than the hand-over does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sized
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from crawlers.canonical import canonical_url
from crawlers.context import CrawlContext, build_emitter, build_frontier
from crawlers.emitter import Emission, Handling, PageResult
from crawlers.extractors import FetchedPage
from crawlers.frontier import CrawlState, after_fetch, discovered, now_utc
from crawlers.links import FollowLink, markup_of
from crawlers.sources import PDF_TYPE, FollowRule, SourceDefinition

_ATOM = "{http://www.w3.org/2005/Atom}"
_RULE_CACHE_SIZE = 100_000
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)


def fetched_page(response: Response) -> FetchedPage:
    """The page as the record stage takes it: the body undecoded (decoded and parsed there, off this thread)."""

    def header(name: bytes) -> str | None:
        value: Any = response.headers.get(name)
        return value.decode("latin-1") if value else None

    request = response.request
    return FetchedPage(
        url=response.url,
        status=response.status,
        body=response.body,
        fetched_at=now_utc(),
        content_type=(header(b"Content-Type") or "").split(";", 1)[0].strip().lower(),
        markup=markup_of(response),
        etag=header(b"ETag"),
        last_modified=header(b"Last-Modified"),
        headers=response.headers,
        request_headers=request.headers if request is not None else None,
        method=request.method if request is not None else "GET",
        protocol=response.protocol or "HTTP/1.1",
    )


class SourceSpider(Spider):
    name = "sekisho-source"

    def __init__(self, source: SourceDefinition, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(name=f"sekisho-{source.name}", **kwargs)
        self.source = source
        self.context = context
        self.allowed_domains = list(source.domains())
        # A link's rule is looked up when it is followed and again when its page is parsed.
        self._rules: dict[str, FollowRule | None] = {}
        self._depth_priority = 0
        self._concurrency = 1

    def rule_for(self, url: str) -> FollowRule | None:
        try:
            return self._rules[url]
        except KeyError:
            pass
        if len(self._rules) >= _RULE_CACHE_SIZE:
            self._rules.clear()
        rule = self._rules[url] = self.source.follow_rule_for(url)
        return rule

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        source: SourceDefinition = kwargs.pop("source")
        emitter, owned_sink = build_emitter(crawler.settings, source)
        state = CrawlState(build_frontier(crawler.settings), source.name)
        context = CrawlContext(source, state, emitter, owned_sink)
        crawler.sekisho_context = context  # type: ignore[attr-defined]  # read by crawl_context()
        spider: SourceSpider = super().from_crawler(crawler, *args, source=source, context=context, **kwargs)
        emitter.on_results = spider.record_results
        emitter.on_links = spider.follow_links
        spider._depth_priority = crawler.settings.getint("DEPTH_PRIORITY")
        spider._concurrency = crawler.settings.getint("CONCURRENT_REQUESTS")
        crawler.signals.connect(spider.settle_links, signal=signals.spider_idle)
        crawler.signals.connect(spider.close_crawl, signal=signals.spider_closed)
        return spider

    def follow_links(self, links: list[FollowLink]) -> None:
        """Request the links the record stage found that are new or due (in this, the reactor, thread).

        Scrapy's engine takes them directly, so what its spider middlewares do to a callback's requests is done
        here: the depth (in ``meta``), the breadth-first priority and the Referer; the URL length limit was
        applied where the links were found. Duplicates within the run are dropped by the scheduler's filter.
        """
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return  # the crawl is over
        state = self.context.state
        source_name = self.source.name
        priority = self._depth_priority
        now = now_utc()
        deepest = 0
        for url, canonical, depth, referer in links:
            known = state.get(canonical)
            # A link to a page fetched recently (or refused) is no reason to fetch it before it is due.
            if known is not None and (known.next_fetch_date is None or known.next_fetch_date > now):
                continue
            if known is None:
                state.put(discovered(canonical, source_name, depth, now))
            headers = {"Referer": referer} if referer else None
            meta = {"depth": depth}
            engine.crawl(Request(url, self.parse_page, headers=headers, meta=meta, priority=-depth * priority))
            deepest = max(deepest, depth)
        if deepest and self.crawler.stats is not None:
            self.crawler.stats.max_value("request_depth_max", deepest)

    def settle_links(self) -> None:
        """``spider_idle``: the crawl is not over while pages are out for their links; wait for them (new
        requests keep it open)."""
        self.context.emitter.settle_links()

    def record_results(self, results: list[PageResult]) -> None:
        """What the record stage found (content hash, record id, new/changed/unchanged/duplicate) into the
        frontier, so the next run detects changes; called in this (the reactor) thread."""
        state = self.context.state
        for result in results:
            status = state.get(result.canonical)
            if status is None:
                continue
            update: dict[str, object]
            if result.outcome == "failed":
                update = {"status": "error", "reason": result.detail}
            else:
                update = {
                    "status": result.outcome if result.outcome in ("unchanged", "duplicate") else "fetched",
                    "content_hash": result.content_hash,
                    "record_id": result.record_id,
                    "reason": f"duplicate_of:{result.detail}" if result.outcome == "duplicate" else None,
                }
            state.put(status.model_copy(update=update))

    def close_crawl(self) -> None:
        """The crawl's end: every page archived and sent, the counts in the stats, the frontier written."""
        context = self.context
        stats = self.crawler.stats
        assert stats is not None
        context.emitter.on_links = None  # links still on their way come too late
        try:
            context.emitter.close()
        finally:
            emitted = context.emitter.stats
            for key, count in context.emitter.outcomes.items():
                stats.set_value(f"sekisho/{key}", count)
            stats.set_value("sekisho/emitted", sum(n for k, n in context.emitter.outcomes.items() if "/" in k))
            for name in ("archived", "revisits", "archive_failed", "diffed", "extract_failed", "worker_restarts"):
                stats.set_value(f"sekisho/evidence/{name}", getattr(emitted, name))
            stats.set_value("sekisho/evidence/worker_cpu_s", emitted.worker_cpu_s)
            stats.set_value("sekisho/evidence/worker_start_cpu_s", emitted.worker_start_cpu_s)
            if emitted.warnings:
                stats.set_value("sekisho/evidence/warnings", list(emitted.warnings))
            try:
                context.state.flush(wait=True)
            finally:
                if context.sink is not None:
                    context.sink.close()

    @property
    def state(self) -> CrawlState:
        return self.context.state

    # -- discovery --------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        source = self.source
        entries: set[str] = set()
        if source.kind == "watchlist":
            for item in source.lists:
                entries.add(canonical_url(item.url))
                yield Request(item.url, callback=self.parse_list_file, cb_kwargs={"list_name": item.name})
        for url in source.start_urls:
            entries.add(canonical_url(url))
            yield Request(url, callback=self.parse_page)
        # Discovery documents are fetched every run, conditionally: a 304 means nothing new is listed (the
        # pages they listed before come back below when they are due).
        for url in source.sitemap_urls:
            entries.add(canonical_url(url))
            yield Request(url, callback=self.parse_sitemap, meta={"sekisho_entry": "sitemap"})
        for url in source.feed_urls:
            entries.add(canonical_url(url))
            yield Request(url, callback=self.parse_feed, meta={"sekisho_entry": "feed"})
        if source.api is not None:
            entries.add(canonical_url(source.api.url))
            yield Request(source.api.url, callback=self.parse_api, meta={"sekisho_entry": "api"})
        # URLs the frontier knows and that are due again (the incremental part of a recrawl).
        for status in self.state.due(now_utc()):
            if status.url in entries:
                continue
            if source.kind == "watchlist":
                continue  # list files are entries; nothing else is due
            yield Request(status.url, callback=self.parse_page, meta={"depth": status.depth})

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        self._mark_fetched(fetched_page(response))
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield Request(loc, callback=self.parse_sitemap, meta={"sekisho_entry": "sitemap"})
            else:
                yield from self._follow(loc, depth=1)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS 2.0 ``item/link`` text and Atom ``entry/link@href`` (relative links resolved)."""
        self._mark_fetched(fetched_page(response))
        root = etree.fromstring(response.body, parser=_SAFE_XML)
        if root is None:
            return
        links = [*root.xpath("//item/link/text()"), *root.findall(f".//{_ATOM}entry/{_ATOM}link")]
        for link in links:
            href = link if isinstance(link, str) else link.get("href")
            if href:
                yield from self._follow(urljoin(response.url, href.strip()), depth=1)

    def parse_api(self, response: Response) -> Iterator[Request]:
        api = self.source.api
        assert api is not None
        self._mark_fetched(fetched_page(response))
        data: Any = json.loads(response.body)
        for key in filter(None, api.items_path.split(".")):
            data = data.get(key, []) if isinstance(data, dict) else []
        for entry in data if isinstance(data, list) else []:
            url = entry.get(api.url_field) if isinstance(entry, dict) else None
            if isinstance(url, str):
                yield from self._follow(urljoin(response.url, url), depth=1)

    # -- pages ------------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> None:
        """A page: recorded and handed over; its links come back to ``follow_links`` once it is parsed."""
        if not isinstance(response, TextResponse):
            self._parse_document(response)
            return
        rule = self.rule_for(response.url)
        depth = int(response.meta.get("depth", 0))
        follow_depth = depth + 1 if depth < self.source.max_depth else None
        handling: Handling = "parse" if rule is not None and rule.parse else "hub"
        self._mark_fetched(fetched_page(response), handling, follow_depth=follow_depth)
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        if isinstance(scheduler, Sized) and len(scheduler) < self._concurrency:
            self.context.emitter.release()  # the crawl is short of requests: the buffered pages' links now

    def _parse_document(self, response: Response) -> None:
        """A binary document the source accepts (a PDF notice): one record, no links followed."""
        rule = self.rule_for(response.url)
        page = fetched_page(response)
        if rule is not None and rule.parse and page.content_type == PDF_TYPE:
            self._mark_fetched(page, "parse")

    def parse_list_file(self, response: Response, list_name: str) -> None:
        self._mark_fetched(fetched_page(response), "parse", list_name=list_name)

    def _follow(self, url: str, depth: int, now: datetime | None = None) -> Iterator[Request]:
        """Request ``url`` if a rule follows it and it is new or due; ``now`` is the caller's clock reading
        (one per page, not one per link)."""
        state = self.context.state
        canonical = canonical_url(url)
        known = state.get(canonical)
        now = now or now_utc()
        # Most links on a page point to pages already known and not due: answered before the rule lookup.
        if known is not None and (known.next_fetch_date is None or known.next_fetch_date > now):
            return  # fetched recently (or refused): a link to it is no reason to fetch it before it is due
        if self.rule_for(url) is None:
            return
        if known is None:
            state.put(discovered(canonical, self.source.name, depth, now))
        yield Request(url, callback=self.parse_page)

    def _mark_fetched(
        self,
        page: FetchedPage,
        handling: Handling = "hub",
        list_name: str | None = None,
        follow_depth: int | None = None,
    ) -> None:
        """Record the fetch (validators for the next run's 304, next due date) and hand the page over:
        ``parse`` makes a record of it off this thread (``crawlers.emitter``), ``hub`` only archives it;
        with a ``follow_depth`` its links come back to ``follow_links``."""
        canonical = page.canonical
        previous = self.state.get(canonical) or discovered(canonical, self.source.name, 0, now_utc())
        self.context.emitter.submit(Emission(page, handling, list_name, previous.content_hash, follow_depth))
        self.state.put(
            after_fetch(
                previous,
                now=page.fetched_at,
                interval_s=self.source.recrawl_interval_s,
                status="fetched",
                http_status=page.status,
                etag=page.etag,
                last_modified=page.last_modified,
            )
        )
