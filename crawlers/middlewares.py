"""Downloader middlewares: target safety, crawl budget, conditional requests and content-type checks.

Order (``crawlers.settings.DOWNLOADER_MIDDLEWARES``): safety runs first, before the offsite and robots.txt
middlewares, so a private target is refused (and recorded) whatever else would happen to it; the
frontier middleware sits below retries and redirects so it only sees final responses.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawlers.canonical import canonical_url
from crawlers.context import ALLOWED_PRIVATE_TARGETS, CRAWL_BUDGET, CrawlContext, crawl_context
from crawlers.emitter import Emission
from crawlers.extractors import FetchedPage
from crawlers.frontier import after_fetch, discovered, now_utc
from crawlers.safety import netloc_refusal, parse_allowances
from schemas.documents import FetchStatus, UrlStatus


def _is_robots(request: Request) -> bool:
    # Scrapy's split of the request, cached on it (its offsite and robots.txt middlewares split it too).
    return urlparse_cached(request).path == "/robots.txt"


def _record(
    context: CrawlContext, request: Request, status: FetchStatus, http_status: int | None, reason: str
) -> UrlStatus:
    canonical = canonical_url(request.url)
    previous = context.state.get(canonical) or discovered(
        canonical, context.source.name, int(request.meta.get("depth", 0)), now_utc()
    )
    updated = after_fetch(
        previous,
        now=now_utc(),
        interval_s=context.source.recrawl_interval_s,
        status=status,
        http_status=http_status,
        reason=reason,
    )
    context.state.put(updated)
    return updated


class TargetSafetyMiddleware:
    """Refuses non-HTTP schemes and private, loopback and link-local targets (SSRF), redirects included."""

    def __init__(self, crawler: Crawler, allowed_targets: list[str]) -> None:
        self.crawler = crawler
        self.allowed = parse_allowances(allowed_targets)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetSafetyMiddleware:
        return cls(crawler, crawler.settings.getlist(ALLOWED_PRIVATE_TARGETS))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlparse_cached(request)
        reason = netloc_refusal(parts.scheme, parts.netloc, self.allowed)
        if reason is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"sekisho/refused/{reason}")
        if not _is_robots(request):
            context = crawl_context(self.crawler)
            canonical = canonical_url(request.url)
            previous = context.state.get(canonical) or discovered(
                canonical, context.source.name, int(request.meta.get("depth", 0)), now_utc()
            )
            context.state.put(
                previous.model_copy(update={"status": "refused", "reason": reason, "next_fetch_date": None})
            )
        raise IgnoreRequest(f"refused {request.url}: {reason}")


class CrawlBudgetMiddleware:
    """At most ``budget`` fetches per run (retries and redirects count: each one costs the site a request)."""

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.spent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlBudgetMiddleware:
        budget = crawler.settings.getint(CRAWL_BUDGET) or crawl_context(crawler).source.budget
        return cls(crawler, budget)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if _is_robots(request):
            return
        if self.spent >= self.budget:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("sekisho/budget_exhausted")
            raise IgnoreRequest("crawl budget exhausted")
        self.spent += 1


class ConditionalRequestMiddleware:
    """Sends the stored validators (ETag, Last-Modified) and records every final outcome in the frontier.

    A ``304 Not Modified`` ends the request here: the page is unchanged, nothing is parsed or emitted.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if _is_robots(request) or request.meta.get("sekisho_unconditional"):
            return
        status = crawl_context(self.crawler).state.get(canonical_url(request.url))
        if status is None:
            return
        if status.etag:
            request.headers.setdefault(b"If-None-Match", status.etag.encode("latin-1", "replace"))
        if status.last_modified:
            request.headers.setdefault(b"If-Modified-Since", status.last_modified.encode("latin-1", "replace"))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if _is_robots(request):
            return response
        context = crawl_context(self.crawler)
        assert self.crawler.stats is not None
        if response.status == 304:
            self.crawler.stats.inc_value("sekisho/not_modified")
            _record(context, request, "unchanged", 304, "not_modified")
            # The archive notes the visit: the page was seen, unchanged, at this time.
            page = FetchedPage(
                url=response.url,
                status=304,
                body=b"",
                fetched_at=now_utc(),
                headers=response.headers,
                request_headers=request.headers,
                method=request.method,
                protocol=response.protocol or "HTTP/1.1",
            )
            context.emitter.submit(Emission(page, "not_modified"))
            raise IgnoreRequest(f"not modified: {request.url}")
        if response.status >= 400:
            self.crawler.stats.inc_value("sekisho/http_error")
            _record(context, request, "error", response.status, f"http.{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if _is_robots(request) or isinstance(exception, IgnoreRequest):
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("sekisho/fetch_failed")
        _record(crawl_context(self.crawler), request, "error", None, f"fetch.{type(exception).__name__}")


class ContentTypeMiddleware:
    """Drops responses whose media type the source does not expect (no parsing of binaries as HTML)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentTypeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if _is_robots(request) or response.status != 200:
            return response
        if request.meta.get("sekisho_entry") in ("sitemap", "feed", "api"):
            return response  # discovery documents are XML/JSON by nature; their parsers check them
        context = crawl_context(self.crawler)
        raw: Any = response.headers.get(b"Content-Type") or b""
        media_type = raw.decode("latin-1").split(";", 1)[0].strip().lower()
        if media_type and media_type not in context.source.accepted_content_types:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("sekisho/content_type_rejected")
            _record(context, request, "error", response.status, f"content_type.{media_type}")
            raise IgnoreRequest(f"unexpected content type {media_type} for {request.url}")
        return response
