"""Official watchlist files: one record per file, with the list name and the hash of its exact bytes.

The record carries no list content: the bytes are stored by the crawl pipeline (``raw_location``) and
the watchlist index is refreshed only when the hash changes.
"""

from __future__ import annotations

import hashlib

from crawlers.extractors.page import FetchedPage, base_record
from crawlers.sources import SourceDefinition
from schemas.records import CrawledPage


def extract_watchlist(source: SourceDefinition, page: FetchedPage, list_name: str | None = None) -> CrawledPage:
    name = list_name or source.list_name_for(page.url) or source.name
    return base_record(
        source,
        page,
        "watchlist",
        title=name,
        list_name=name,
        content_hash=hashlib.sha256(page.body).hexdigest(),
    )
