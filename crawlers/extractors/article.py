"""Articles (press releases, news, sanctions notices): main text, title, language, publication date."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import trafilatura
from lxml import etree
from parsel import Selector

from crawlers.canonical import collapse_whitespace, content_hash
from crawlers.extractors.contacts import find_emails, find_phones
from crawlers.extractors.language import guess_language
from crawlers.extractors.page import FetchedPage, base_record
from crawlers.sources import SourceDefinition
from schemas.records import CrawledPage

_DATE_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='date']/@content",
    "//meta[@name='dc.date']/@content",
    "//time[@datetime]/@datetime",
)
_MAX_TEXT = 100_000


def parse_datetime(value: str | None) -> datetime | None:
    """ISO dates and date-times (``2026-03-02``, ``2026-03-02T10:00:00Z``) as aware datetimes."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_VISIBLE_TEXT = etree.XPath(
    "//body//text()[not(parent::script or parent::style or parent::noscript or parent::template)]",
    smart_strings=False,
)


def visible_text(selector: Selector) -> str:
    """Body text without scripts or styles (scripts are never run, nor indexed)."""
    root = selector.root
    parts = _VISIBLE_TEXT(root) if root is not None else []
    return collapse_whitespace(" ".join(parts))


def extract_article(source: SourceDefinition, page: FetchedPage) -> CrawledPage:
    html = page.text or ""
    selector = page.html_selector()
    document = trafilatura.bare_extraction(html, url=page.url, with_metadata=True, fast=True) if html else None
    title = getattr(document, "title", None) or selector.xpath("normalize-space(//title)").get() or None
    text = getattr(document, "text", None) or visible_text(selector) or None
    if text:
        text = text[:_MAX_TEXT]
    published = None
    for xpath in _DATE_META:
        published = parse_datetime(selector.xpath(xpath).get())
        if published:
            break
    if published is None:
        published = parse_datetime(getattr(document, "date", None))
    declared = selector.xpath("/html/@lang").get()
    return base_record(
        source,
        page,
        "article",
        title=title,
        text=text,
        language=guess_language(text or "", declared),
        published_at=published,
        content_hash=content_hash(title, text),
        phones=find_phones(text or ""),
        emails=find_emails(text or ""),
    )
