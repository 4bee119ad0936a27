"""The fetched page as extractors see it, and the fields every crawled record shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parsel import Selector

from crawlers.canonical import canonical_url
from crawlers.sources import SourceDefinition
from schemas.records import CrawledPage, make_id


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    status: int
    body: bytes
    fetched_at: datetime
    content_type: str = ""
    text: str | None = None  # decoded body for text responses
    # A text response whose decoding was left to the record stage: the name of its Scrapy class (``html``,
    # ``xml``, ``text``; ``crawlers.links.decoded``), while ``text`` is None.
    markup: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The exchange as it went over the wire, for the evidence copy: response and request headers (Scrapy
    # ``Headers`` or (name, value) pairs; converted off the crawl thread), request method and protocol.
    headers: Any = field(default=None, compare=False, repr=False)
    request_headers: Any = field(default=None, compare=False, repr=False)
    method: str = "GET"
    protocol: str = "HTTP/1.1"
    # The already-parsed document (a parsel Selector) when the caller has one: saves parsing twice.
    selector: Any = field(default=None, compare=False, repr=False)

    def html_selector(self) -> Selector:
        if isinstance(self.selector, Selector):
            return self.selector
        return Selector(text=self.text or "<html></html>")

    @property
    def canonical(self) -> str:
        return canonical_url(self.url)


def record_id(canonical: str) -> str:
    return make_id(CrawledPage.RECORD_TYPE, canonical)


def base_record(source: SourceDefinition, page: FetchedPage, kind: str, **fields: Any) -> CrawledPage:
    canonical = page.canonical
    return CrawledPage(
        id=record_id(canonical),
        source_format="web",
        source=f"crawl:{source.name}",
        url=page.url,
        canonical_url=canonical,
        source_name=source.name,
        kind=kind,  # one of the CrawledPage kinds, chosen by the caller
        fetched_at=page.fetched_at,
        http_status=page.status,
        reliability=source.reliability,
        credibility=source.credibility,
        **fields,
    )
