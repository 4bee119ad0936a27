"""Which links of a fetched page the crawl follows, found where the page is parsed anyway.

The record stage parses every page it makes a record of; ``LinkFinder`` takes the page's links from the same
parsed document (the response rebuilt from the fetched bytes and headers, decoded as Scrapy decodes it) and
keeps those a follow rule of the source accepts, each canonical URL once per crawl. For crawls to Kafka this
runs in the crawl's worker process (``crawlers.emitter_process``), so neither decoding nor parsing nor link
extraction is done on the crawl (reactor) thread; the crawl gets the links back as ``FollowLink``s and decides
with the frontier whether each is new or due (``crawlers.spiders``). Every request still goes through the
downloader middlewares: target safety (internal addresses), offsite, robots.txt and the crawl budget.

The links are the URLs Scrapy's ``LinkExtractor`` returns with the settings the crawl used before (``a`` and
``area`` ``href``s, resolved against ``<base href>``, escaped with the page's encoding, schemes http, https,
file and ftp; the tests compare the two), without what the crawl never used (each link's text and ``rel``),
and an already canonical URL is not escaped again (nothing in it to escape): about a third of the cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple
from urllib.parse import urljoin

from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.response import get_base_url
from w3lib.url import safe_url_string

from crawlers.canonical import already_canonical, canonical_url
from crawlers.extractors import FetchedPage
from crawlers.sources import SourceDefinition

# Scrapy's response classes for text, by the name a fetched page carries (``FetchedPage.markup``): the page is
# decoded as Scrapy would have decoded it on the crawl thread (headers, BOM, meta charset).
MARKUP_TYPES: dict[str, type[TextResponse]] = {"html": HtmlResponse, "xml": XmlResponse, "text": TextResponse}

URL_LENGTH_LIMIT = 2083  # Scrapy's URLLENGTH_LIMIT: longer links are dropped, as its spider middleware does
_SEEN_LIMIT = 500_000  # canonical URLs remembered per crawl; past this the memory is reset (the crawl dedups too)
_XHTML = "{http://www.w3.org/1999/xhtml}"
_LINK_TAGS = ("a", "area", f"{_XHTML}a", f"{_XHTML}area")  # LinkExtractor's default tags (XHTML in XML too)
_HTML5_SPACE = " \t\n\r\x0c"  # what w3lib's strip_html5_whitespace strips
_SCHEMES = frozenset(("http", "https", "file", "ftp"))  # LinkExtractor's valid URLs (safety refuses all but http(s))


class FollowLink(NamedTuple):
    """A link the crawl may follow (a tuple: cheap to send back from the worker process)."""

    url: str
    canonical: str
    depth: int
    referer: str | None


def markup_of(response: Response) -> str | None:
    """The name of the response's text class (``html``, ``xml``, ``text`` for any other text response, JSON
    included), None for a binary response."""
    if isinstance(response, HtmlResponse):
        return "html"
    if isinstance(response, XmlResponse):
        return "xml"
    return "text" if isinstance(response, TextResponse) else None


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


def _safe_as_is(url: str) -> bool:
    """An already canonical URL with a valid port: ``safe_url_string`` would return it unchanged."""
    if not already_canonical(url):
        return False
    _, colon, port = url.split("/", 3)[2].rpartition(":")
    return not colon or int(port) <= 65535


def _origin(base: str) -> str:
    """``scheme://host[:port]`` of an http(s) base URL ('' otherwise): a path from the root is joined to it."""
    scheme, sep, rest = base.partition("://")
    if not sep or scheme not in ("http", "https"):
        return ""
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


def _rooted(href: str) -> bool:
    """A path from the site's root without dot segments: ``urljoin`` would only put the base's origin before it."""
    return href.startswith("/") and not href.startswith("//") and "/." not in href and "\\" not in href


def page_links(response: TextResponse) -> Iterator[str]:
    """The absolute URLs of the page's links, in document order, as Scrapy's ``LinkExtractor(unique=False,
    deny_extensions=[])`` returns them."""
    root = response.selector.root
    if root is None:
        return
    base = get_base_url(response)
    page_url = response.url
    encoding = response.encoding
    origin = _origin(base)
    for element in root.iter(*_LINK_TAGS):
        href = element.get("href")
        if href is None:
            continue
        try:
            href = href.strip(_HTML5_SPACE)
            url = origin + href if origin and _rooted(href) else urljoin(base, href)
            if not _safe_as_is(url):
                url = urljoin(page_url, safe_url_string(url, encoding=encoding))
        except ValueError:
            continue  # a bogus link (LinkExtractor skips it too)
        if url.split("://", 1)[0] in _SCHEMES:
            yield url


class LinkFinder:
    """The links of a crawl's pages that its source follows; one finder per crawl (it remembers what it sent)."""

    def __init__(self, source: SourceDefinition) -> None:
        self.source = source
        self._seen: set[str] = set()

    def follow(self, response: TextResponse, depth: int) -> list[FollowLink]:
        """The links of ``response`` a follow rule accepts and this crawl has not been given yet, at ``depth``."""
        seen = self._seen
        if len(seen) >= _SEEN_LIMIT:
            seen.clear()
        found: list[FollowLink] = []
        parent = response.url
        for url in page_links(response):
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
