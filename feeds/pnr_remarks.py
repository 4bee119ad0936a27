"""Data protection for PNR content: the parser's entry to ``feeds.sensitive`` (the word lists and coded SSRs).

Kept as the PNRGOV parser's import so that the screening can change without touching the parser.
"""

from __future__ import annotations

from feeds.sensitive import categories_of, is_sensitive_code, is_sensitive_text

__all__ = ["categories_of", "is_sensitive_code", "is_sensitive_text"]
