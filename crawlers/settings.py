"""Scrapy settings of the Sekisho crawlers, and the per-source settings a crawl runs with.

The module-level names are ordinary Scrapy settings (usable as ``SCRAPY_SETTINGS_MODULE``);
``crawl_settings`` adds what comes from the source definition (budget, size and time caps,
politeness) and from ``sekisho.settings`` (user agent, allowed private networks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawlers.context import ALLOWED_PRIVATE_TARGETS, EVIDENCE_DIR, SEKISHO_SETTINGS, WARC_MAX_BYTES, Shared
from crawlers.sources import SourceDefinition
from sekisho.settings import Settings

BOT_NAME = "sekisho"

# The crawl runs in a reactor Sekisho starts (crawlers.runner); do not install or verify another one.
TWISTED_REACTOR: str | None = None

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"

CONCURRENT_REQUESTS = 16
# Scrapy starts this many asyncio workers for every callback's output. A callback here yields requests
# only (records are made off the reactor thread), so more workers only add task churn (~0.1 ms of CPU per
# page at 16, measured).
CONCURRENT_ITEMS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_DELAY_JITTER = 0.5
REMOTE_CONTROL_ENABLED = False
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False  # a meta refresh is a page decision, not a protocol one; not followed
DEPTH_PRIORITY = 1  # breadth-first: hubs before deep pages under a budget
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.TargetSafetyMiddleware": 40,
    "crawlers.middlewares.CrawlBudgetMiddleware": 120,
    "crawlers.middlewares.ConditionalRequestMiddleware": 540,
    "crawlers.middlewares.ContentTypeMiddleware": 545,
}

# No item pipelines: records are made, change-checked, archived and sent by the crawl's emitter
# (crawlers.emitter), off the reactor thread; the spider yields requests only.
ITEM_PIPELINES: dict[str, int] = {}

BASE_SETTINGS: dict[str, Any] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and name != "BASE_SETTINGS"
}


def evidence_dir(settings: Settings) -> Path:
    """Where the WARC evidence copies of every crawl are kept (the API and ``sekisho evidence`` read them)."""
    return settings.crawl_evidence_dir or settings.home / "crawl" / "evidence"


def crawl_settings(source: SourceDefinition, settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Everything one crawl of ``source`` runs with; ``overrides`` (frontier, sink, ...) win."""
    politeness = source.politeness
    values: dict[str, Any] = {
        **BASE_SETTINGS,
        "USER_AGENT": settings.crawl_user_agent,
        "DEPTH_LIMIT": source.max_depth,
        "DOWNLOAD_MAXSIZE": source.max_bytes,
        "DOWNLOAD_WARNSIZE": min(source.max_bytes, DOWNLOAD_WARNSIZE),
        "DOWNLOAD_TIMEOUT": source.download_timeout_s,
        "CLOSESPIDER_TIMEOUT": source.max_duration_s,
        "DOWNLOAD_DELAY": politeness.delay_s,
        "CONCURRENT_REQUESTS_PER_DOMAIN": politeness.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": politeness.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(politeness.delay_s, 0.01),
        SEKISHO_SETTINGS: Shared(settings),
        ALLOWED_PRIVATE_TARGETS: list(settings.crawl_allowed_private_targets),
        EVIDENCE_DIR: str(evidence_dir(settings)) if settings.crawl_evidence else "",
        WARC_MAX_BYTES: settings.crawl_warc_max_bytes,
    }
    values.update(overrides)
    return values
