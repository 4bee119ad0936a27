"""The item that travels through the pipelines: the extracted record and the page it came from."""

from __future__ import annotations

from dataclasses import dataclass

from crawlers.emitter import Outcome
from crawlers.extractors.page import FetchedPage
from schemas.records import CrawledPage


@dataclass
class CrawlItem:
    record: CrawledPage
    page: FetchedPage
    change: Outcome = "new"  # set by the change-detection pipeline
