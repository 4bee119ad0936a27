"""PDF notices (sanctions designations, customs notices published as PDF): text, title and date by pypdf.

PDFs are untrusted input: pypdf parses them without running anything, page count and text length are
capped, and a file pypdf cannot read becomes a record with no text (the evidence copy keeps the bytes).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from io import BytesIO

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from crawlers.canonical import collapse_whitespace, content_hash
from crawlers.extractors.article import parse_datetime
from crawlers.extractors.contacts import find_emails, find_phones
from crawlers.extractors.language import guess_language
from crawlers.extractors.page import FetchedPage, base_record
from crawlers.sources import SourceDefinition
from schemas.records import CrawledPage

log = logging.getLogger(__name__)

MAX_PAGES = 50
_MAX_TEXT = 100_000
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


def pdf_date(value: object) -> datetime | None:
    """A PDF date string (``D:20260302093000Z``) as an aware datetime."""
    match = _PDF_DATE.match(str(value or ""))
    if not match:
        return parse_datetime(str(value)) if value else None
    year, *rest = match.groups()
    month, day, hour, minute, second = (
        int(part) if part else default for part, default in zip(rest, (1, 1, 0, 0, 0), strict=True)
    )
    try:
        return datetime(int(year), month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def pdf_text(body: bytes) -> tuple[str, str | None, datetime | None]:
    """(text of the first ``MAX_PAGES`` pages, title, creation date) of a PDF; raises ``PyPdfError``/``ValueError``."""
    reader = PdfReader(BytesIO(body))
    parts = []
    for page in reader.pages[:MAX_PAGES]:
        parts.append(page.extract_text() or "")
        if sum(map(len, parts)) > _MAX_TEXT:
            break
    info = reader.metadata
    title = str(info.title) if info is not None and info.title else None
    created = pdf_date(info.get("/CreationDate")) if info is not None else None
    return collapse_whitespace(" ".join(parts))[:_MAX_TEXT], title, created


def extract_pdf_notice(source: SourceDefinition, page: FetchedPage) -> CrawledPage:
    try:
        text, title, created = pdf_text(page.body)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        log.warning("PDF %s not readable: %r", page.url, exc)
        text, title, created = "", None, None
    title = title or (text[:120] if text else None)
    return base_record(
        source,
        page,
        "notice",
        title=title,
        text=text or None,
        language=guess_language(text, None) if text else None,
        published_at=created,
        content_hash=content_hash(title, text),
        phones=find_phones(text),
        emails=find_emails(text),
    )
