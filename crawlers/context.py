"""What the components of one crawl share: the source, its frontier state and the record sink.

Scrapy builds each middleware and pipeline with ``from_crawler``; they find the crawl's context on the
crawler (``crawl_context(crawler)``), created once by the spider from the crawler's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from crawlers.emitter import Emitter, RecordEmitter
from crawlers.emitter_process import ProcessEmitter
from crawlers.frontier import CrawlState, ElasticsearchFrontier, Frontier, InMemoryFrontier
from crawlers.sinks import KafkaSink, RecordSink
from crawlers.sources import SourceDefinition
from crawlers.warc_archive import WarcArchive
from sekisho.settings import Settings

# Scrapy setting names read by Sekisho components.
SEKISHO_SETTINGS = "SEKISHO_SETTINGS"  # the sekisho.settings.Settings the crawl runs with (set by crawl_settings)
FRONTIER = "SEKISHO_FRONTIER"  # a Frontier, or "elasticsearch" / "memory"
RECORD_SINK = "SEKISHO_RECORD_SINK"  # a RecordSink, or "kafka"
ALLOWED_PRIVATE_TARGETS = "SEKISHO_ALLOWED_PRIVATE_TARGETS"
WATCHLIST_DIR = "SEKISHO_WATCHLIST_DIR"
CRAWL_BUDGET = "SEKISHO_CRAWL_BUDGET"
EVIDENCE_DIR = "SEKISHO_EVIDENCE_DIR"  # where WARC evidence copies go; empty: no copies (set by crawl_settings)
WARC_MAX_BYTES = "SEKISHO_WARC_MAX_BYTES"  # a WARC file is rotated past this size


T = TypeVar("T")


class Shared(Generic[T]):
    """A settings value passed by reference: Scrapy deep-copies settings, and a sink or frontier must
    stay the one object the caller holds."""

    def __init__(self, value: T) -> None:
        self.value = value

    def __deepcopy__(self, memo: dict[int, Any]) -> Shared[T]:
        return self


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, Shared) else value


@dataclass
class CrawlContext:
    source: SourceDefinition
    state: CrawlState
    emitter: Emitter  # archives, diffs and sends records off the reactor thread
    sink: RecordSink | None = None  # a sink this crawl made and closes (none when the worker process owns it)


def sekisho_settings(scrapy_settings: Any) -> Settings:
    value = _unwrap(scrapy_settings.get(SEKISHO_SETTINGS))
    if not isinstance(value, Settings):
        raise RuntimeError(f"the Scrapy settings carry no {SEKISHO_SETTINGS}: build them with crawlers.settings")
    return value


def build_frontier(scrapy_settings: Any) -> Frontier:
    value = _unwrap(scrapy_settings.get(FRONTIER)) or "elasticsearch"
    if value == "memory":
        return InMemoryFrontier()
    if value == "elasticsearch":
        return ElasticsearchFrontier(sekisho_settings(scrapy_settings))
    if isinstance(value, str):
        raise ValueError(f"{FRONTIER}: unknown frontier {value!r}")
    frontier: Frontier = value
    return frontier


def build_sink(scrapy_settings: Any) -> tuple[RecordSink, bool]:
    """The configured sink and whether this crawl owns (and so closes) it."""
    value = _unwrap(scrapy_settings.get(RECORD_SINK)) or "kafka"
    if value == "kafka":
        return KafkaSink(sekisho_settings(scrapy_settings)), True
    if isinstance(value, str):
        raise ValueError(f"{RECORD_SINK}: unknown sink {value!r}")
    sink: RecordSink = value
    return sink, False


def build_emitter(scrapy_settings: Any, source: SourceDefinition) -> tuple[Emitter, RecordSink | None]:
    """What archives and sends this crawl's pages, and the sink the crawl must close (if it made one).

    A crawl to Kafka hands pages to a worker process (which makes its own producer) unless
    ``crawl_emitter_process`` is off; a sink object of the caller's is fed from a worker thread.
    """
    settings = sekisho_settings(scrapy_settings)
    configured = scrapy_settings.get(WATCHLIST_DIR)
    list_dir = Path(configured) if configured else settings.list_store_dir  # where changed list files go
    if _unwrap(scrapy_settings.get(RECORD_SINK)) in (None, "kafka") and settings.crawl_emitter_process:
        directory = scrapy_settings.get(EVIDENCE_DIR) or ""
        max_bytes = scrapy_settings.getint(WARC_MAX_BYTES) or 256 * 1024 * 1024
        return ProcessEmitter(source, settings, directory, max_bytes, list_dir), None
    sink, owns_sink = build_sink(scrapy_settings)
    return RecordEmitter(source, sink, build_archive(scrapy_settings), list_dir), sink if owns_sink else None


def build_archive(scrapy_settings: Any) -> WarcArchive | None:
    """The evidence archive of the crawl, or None when evidence copies are switched off."""
    directory = scrapy_settings.get(EVIDENCE_DIR)
    if not directory:
        return None
    return WarcArchive(Path(directory), scrapy_settings.getint(WARC_MAX_BYTES) or 256 * 1024 * 1024)


def crawl_context(crawler: Any) -> CrawlContext:
    context = getattr(crawler, "sekisho_context", None)
    if not isinstance(context, CrawlContext):
        raise RuntimeError("Sekisho components need a crawl started by crawlers.runner (no crawl context)")
    return context
