"""Which links of a fetched page the crawl follows, found where the page is parsed anyway.

The record stage parses every page it makes a record of; ``LinkFinder`` takes the page's links from the same
parsed document (Scrapy's ``LinkExtractor``, on the response rebuilt from the fetched bytes and headers) and
keeps those a follow rule of the source accepts, each canonical URL once per crawl. For crawls to Kafka this
runs in the crawl's worker process (``crawlers.emitter_process``), so neither decoding nor parsing nor link
extraction is done on the crawl (reactor) thread; the crawl gets the links back as ``FollowLink``s and decides
with the frontier whether each is new or due (``crawlers.spiders``). Every request still goes through the
downloader middlewares: target safety (internal addresses), offsite, robots.txt and the crawl budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor

from crawlers.canonical import canonical_url
from crawlers.extractors import FetchedPage
from crawlers.sources import SourceDefinition

# Scrapy's response classes for text, by the name a fetched page carries (``FetchedPage.markup``): the page is
# decoded as Scrapy would have decoded it on the crawl thread (headers, BOM, meta charset).
MARKUP_TYPES: dict[str, type[TextResponse]] = {"html": HtmlResponse, "xml": XmlResponse, "text": TextResponse}
_MARKUP_NAMES: dict[type[Response], str] = {cls: name for name, cls in MARKUP_TYPES.items()}

URL_LENGTH_LIMIT = 2083  # Scrapy's URLLENGTH_LIMIT: longer links are dropped, as its spider middleware does
_SEEN_LIMIT = 500_000  # canonical URLs remembered per crawl; past this the memory is reset (the crawl dedups too)


class FollowLink(NamedTuple):
    """A link the crawl may follow (a tuple: cheap to send back from the worker process)."""

    url: str
    canonical: str
    depth: int
    referer: str | None


def markup_of(response: Response) -> str | None:
    """The name of the response's text class (``html``, ``xml``, ``text``), None for a binary response."""
    return _MARKUP_NAMES.get(type(response))


def decoded(page: FetchedPage) -> tuple[FetchedPage, TextResponse | None]:
    """The page with its text and, for HTML, its parsed document, decoded here rather than on the crawl thread;
    and the Scrapy response rebuilt for link extraction (None when the page was decoded already, or is binary)."""
    response_type = MARKUP_TYPES.get(page.markup or "")
    if page.text is not None or response_type is None:
        return page, None
    response = response_type(url=page.url, status=page.status, headers=page.headers, body=page.body)
    selector = response.selector if response_type is HtmlResponse else None
    return replace(page, text=response.text, selector=selector), response


def referer_for(url: str, parent: str) -> str | None:
    """The Referer a followed link carries (Scrapy's default policy): none from HTTPS to plain HTTP."""
    if parent.startswith("https:") and not url.startswith("https:"):
        return None
    return parent.split("#", 1)[0]


class LinkFinder:
    """The links of a crawl's pages that its source follows; one finder per crawl (it remembers what it sent)."""

    def __init__(self, source: SourceDefinition) -> None:
        self.source = source
        self.extractor = LinkExtractor(unique=True, canonicalize=False, deny_extensions=[])
        self._seen: set[str] = set()

    def follow(self, response: TextResponse, depth: int) -> list[FollowLink]:
        """The links of ``response`` a follow rule accepts and this crawl has not been given yet, at ``depth``."""
        seen = self._seen
        if len(seen) >= _SEEN_LIMIT:
            seen.clear()
        found: list[FollowLink] = []
        parent = response.url
        for link in self.extractor.extract_links(response):
            url = link.url
            if len(url) > URL_LENGTH_LIMIT:
                continue
            canonical = canonical_url(url)
            if canonical in seen:
                continue
            seen.add(canonical)
            if self.source.follow_rule_for(url) is None:
                continue
            found.append(FollowLink(url, canonical, depth, referer_for(url, parent)))
        return found
