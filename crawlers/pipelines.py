"""Item pipelines, in the order set in ``crawlers.settings.ITEM_PIPELINES``.

1. ``ChangeDetectionPipeline`` drops content already emitted for the URL (unchanged) or, in this run,
   under another URL (duplicate), and records the fetch in the frontier.
2. ``WatchlistStorePipeline`` stores changed watchlist files and sets the record's ``raw_location``.
3. ``RecordSinkPipeline`` hands the record to the crawl's emitter, which archives the page (WARC), stamps
   the record with its evidence pointer and sends it to the sink (Kafka's raw topic by default) on a
   worker thread.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.context import WATCHLIST_DIR, CrawlContext, crawl_context, sekisho_settings
from crawlers.emitter import Emission
from crawlers.frontier import after_fetch, change_of, discovered, now_utc
from crawlers.items import CrawlItem
from schemas.documents import FetchStatus
from sekisho.list_store import store_list_file


class ChangeDetectionPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChangeDetectionPipeline:
        return cls(crawler)

    def process_item(self, item: CrawlItem, spider: Spider | None = None) -> CrawlItem:
        context: CrawlContext = crawl_context(self.crawler)
        stats = self.crawler.stats
        assert stats is not None
        record, page = item.record, item.page
        content = record.content_hash or ""
        now = now_utc()
        previous = context.state.get(record.canonical_url)
        base = previous or discovered(record.canonical_url, context.source.name, 0, now)
        change = change_of(previous, content)
        duplicate_of = context.state.claim_content(content, record.canonical_url)
        status: FetchStatus = "unchanged" if change == "unchanged" else ("duplicate" if duplicate_of else "fetched")
        context.state.put(
            after_fetch(
                base,
                now=now,
                interval_s=context.source.recrawl_interval_s,
                status=status,
                http_status=page.status,
                etag=page.etag,
                last_modified=page.last_modified,
                content_hash=content,
                record_id=record.id,
                reason=f"duplicate_of:{duplicate_of}" if duplicate_of else None,
            )
        )
        if change == "unchanged":
            stats.inc_value("sekisho/unchanged")
            context.emitter.submit(Emission(page, None, "unchanged"))  # the archive notes the visit
            raise DropItem(f"unchanged: {record.canonical_url}", log_level="DEBUG")
        if duplicate_of:
            stats.inc_value("sekisho/duplicate")
            context.emitter.submit(Emission(page, None, "duplicate"))
            raise DropItem(f"duplicate of {duplicate_of}: {record.canonical_url}", log_level="DEBUG")
        stats.inc_value(f"sekisho/{change}")
        item.change = change
        return item


class WatchlistStorePipeline:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WatchlistStorePipeline:
        configured = crawler.settings.get(WATCHLIST_DIR)
        directory = Path(configured) if configured else sekisho_settings(crawler.settings).list_store_dir
        return cls(directory)

    def process_item(self, item: CrawlItem, spider: Spider | None = None) -> CrawlItem:
        record = item.record
        if record.kind != "watchlist" or not record.content_hash:
            return item
        stored = store_list_file(
            self.directory,
            record.list_name or record.source_name,
            record.content_hash,
            item.page.body,
            record.url,
            item.page.fetched_at.isoformat(),
        )
        item.record = record.model_copy(update={"raw_location": stored.path})
        return item


class RecordSinkPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordSinkPipeline:
        return cls(crawler)

    def process_item(self, item: CrawlItem, spider: Spider | None = None) -> CrawlItem:
        # Archiving, serialisation and the send happen on the emitter's worker thread.
        crawl_context(self.crawler).emitter.submit(Emission(item.page, item.record, item.change))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("sekisho/emitted")
        self.crawler.stats.inc_value(f"sekisho/emitted/{item.record.kind}")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        context = crawl_context(self.crawler)
        try:
            context.emitter.close()
        finally:
            stats = self.crawler.stats
            assert stats is not None
            emitted = context.emitter.stats
            for name in ("archived", "revisits", "archive_failed", "diffed"):
                stats.set_value(f"sekisho/evidence/{name}", getattr(emitted, name))
            if context.owns_sink:
                context.sink.close()
