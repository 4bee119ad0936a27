"""Showing evidence: an archived copy as an analyst reads it (headers, then the body as text).

Used by ``sekisho evidence show`` and the API's evidence route, so both print the same thing.
"""

from __future__ import annotations

from typing import Any

from crawlers.extractors.pdf import pdf_text
from crawlers.sources import PDF_TYPE
from crawlers.warc_archive import ArchivedCopy, decoded_text

_TEXT_TYPES = (
    "text/",
    "application/xhtml+xml",
    "application/xml",
    "application/json",
    "application/rss+xml",
    "application/atom+xml",
)


def body_text(copy: ArchivedCopy) -> str:
    """The body as text: decoded by its charset, the extracted text of a PDF, or a note for other binaries."""
    declared = copy.header("Content-Type") or ""
    media_type = declared.split(";", 1)[0].strip().lower()
    if copy.record_type == "revisit":
        return f"(unchanged since the copy with digest {copy.refers_to}; no body stored again)"
    if media_type == PDF_TYPE:
        try:
            text, title, _ = pdf_text(copy.body)
        except Exception as exc:  # an unreadable PDF is still evidence: say so, do not fail the view
            return f"(PDF, {len(copy.body)} bytes, text not extractable: {exc!r})"
        return f"[PDF text] {title or ''}\n{text}".strip()
    if not media_type or media_type.startswith(_TEXT_TYPES):
        return decoded_text(copy.body, declared) or ""
    return f"({media_type}, {len(copy.body)} bytes, not text)"


def copy_view(copy: ArchivedCopy) -> dict[str, Any]:
    """The archived copy as a JSON-able mapping (the API's answer)."""
    evidence = copy.evidence
    return {
        "id": evidence.id,
        "url": copy.url,
        "record_type": copy.record_type,
        "fetched_at": evidence.fetched_at.isoformat(),
        "digest": evidence.digest,
        "digest_ok": copy.digest_ok,
        "warc_record_id": evidence.warc_record_id,
        "status_line": copy.status_line,
        "response_headers": [[name, value] for name, value in copy.response_headers],
        "request_line": copy.request_line,
        "request_headers": [[name, value] for name, value in copy.request_headers],
        "body_text": body_text(copy),
    }


def render(copy: ArchivedCopy) -> str:
    """The archived copy as plain text: what was asked, what came back, and the body."""
    evidence = copy.evidence
    lines = [
        f"evidence   {evidence.id}",
        f"url        {copy.url}",
        f"fetched    {evidence.fetched_at.isoformat()}",
        f"digest     {evidence.digest} ({'verified' if copy.digest_ok else 'MISMATCH: the stored copy was altered'})",
        f"warc       {copy.record_type} {evidence.warc_record_id}",
        "",
    ]
    if copy.request_line:
        lines += ["> " + copy.request_line, *(f"> {n}: {v}" for n, v in copy.request_headers), ""]
    lines += ["< " + copy.status_line, *(f"< {n}: {v}" for n, v in copy.response_headers), "", body_text(copy)]
    return "\n".join(lines)
