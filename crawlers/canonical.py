"""URL canonicalisation and content hashing: what makes two fetches "the same page" or "the same content"."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|sessionid|phpsessid)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


# Already canonical: lower-case http(s) host, non-default port, a path of unreserved characters without
# dot segments, escapes or ';' (w3lib drops path parameters), no query, no fragment. Most extracted links
# look like this; skipping w3lib for them matters at crawl rates (checked against the full path in the tests).
_ALREADY_CANONICAL = re.compile(
    r"^https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(?!80(?:/|$))(?!443(?:/|$))[1-9]\d{0,4})?"
    r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9_~!$'()*+,=:@-]*(?:\.[A-Za-z0-9_~!$'()*+,=:@-]+)*)*/?$"
)


def already_canonical(url: str) -> bool:
    """Whether ``url`` has the form above: canonical, and a safe URL too (nothing in it to escape)."""
    return _ALREADY_CANONICAL.match(url) is not None and url.count("/") >= 3


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """w3lib canonical form (sorted query, no fragment), without tracking parameters or default ports."""
    if already_canonical(url):
        return url
    return canonical_url_slow(url)


def canonical_url_slow(url: str) -> str:
    canonical: str = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(canonical)
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        canonical = urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    if "?" not in canonical:
        return canonical
    base, query = canonical.split("?", 1)
    kept = [pair for pair in query.split("&") if not _TRACKING_PARAMS.match(pair.split("=", 1)[0])]
    return f"{base}?{'&'.join(kept)}" if kept else base


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace as one space, trimmed: ``re.sub(r"\\s+", " ", text).strip()`` (same Unicode
    whitespace), at a fraction of the cost; it runs several times per crawled page."""
    return " ".join(text.split())


def content_hash(*parts: str | bytes | None) -> str:
    """sha256 over the parts; text is whitespace-normalised so re-flowed markup does not count as a change."""
    digest = hashlib.sha256()
    for part in parts:
        if part is None:
            chunk = b""
        elif isinstance(part, bytes):
            chunk = part
        else:
            chunk = collapse_whitespace(part).encode("utf-8")
        digest.update(len(chunk).to_bytes(8, "big"))
        digest.update(chunk)
    return digest.hexdigest()
