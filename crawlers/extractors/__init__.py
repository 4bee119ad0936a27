"""Pure extraction: a fetched page (no Scrapy types) in, a ``CrawledPage`` record out.

``extract_record`` dispatches on the source kind: articles (trafilatura main text, language,
publication date), marketplace listings (selector rules from the source definition, price, seller,
ship-from country, images, phones, e-mails) and watchlist files (list name and content hash); a PDF
from any source but a list is a notice (pypdf text, title, date).
"""

from __future__ import annotations

from crawlers.extractors.article import extract_article
from crawlers.extractors.listing import extract_listing
from crawlers.extractors.page import FetchedPage
from crawlers.extractors.pdf import extract_pdf_notice
from crawlers.extractors.watchlist import extract_watchlist
from crawlers.sources import PDF_TYPE, SourceDefinition
from schemas.records import CrawledPage


def extract_record(source: SourceDefinition, page: FetchedPage, list_name: str | None = None) -> CrawledPage:
    if page.content_type == PDF_TYPE and source.kind != "watchlist":
        return extract_pdf_notice(source, page)
    if source.kind == "article":
        return extract_article(source, page)
    if source.kind == "listing":
        return extract_listing(source, page)
    return extract_watchlist(source, page, list_name)


__all__ = ["FetchedPage", "extract_record"]
