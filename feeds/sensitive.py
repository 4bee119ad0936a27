"""Sensitive data in carrier messages: which SSR codes and free-text remarks reveal a special category.

Directive (EU) 2016/681, art. 13(4), forbids processing PNR data that reveals racial or ethnic origin,
political opinions, religion or beliefs, trade-union membership, health, sexual life or orientation;
Japan's APPI treats them as special care-required information. Such elements are dropped when a PNR
is parsed; the booking keeps only their count (``Booking.sensitive_removed``) so that the removal is
auditable, and ``categories_of`` says which categories a text touched (for the parser's warnings).

The words live in ``sensitive_terms.yaml``, one list per language and category, plus the coded SSRs
(special meals, assistance and medical codes). They are compiled once into one pattern per category.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TERMS_FILE = Path(__file__).with_name("sensitive_terms.yaml")
CATEGORIES = ("health", "religion", "ethnicity", "sexual_life", "political", "trade_union")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Word edges by letters only: "HIV+" and "KSML1" match, "ISLAMABAD" does not match "islam".
_LETTERS = r"[^\W\d_]*"
_NO_LETTER_BEFORE = r"(?<![^\W\d_])"
_NO_LETTER_AFTER = r"(?![^\W\d_])"


def fold(text: str) -> str:
    """Case folded, accents stripped (``RELIGIÖS`` -> ``religios``); Japanese script is kept as is."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _term_pattern(term: str) -> str:
    folded = fold(term.strip())
    if _JAPANESE.search(folded):
        return re.escape(folded)  # no word boundaries in Japanese text
    stem = folded.endswith("*")
    words = [re.escape(word) for word in folded.rstrip("*").replace("*", " ").split()]
    body = r"[\s\-_/.]*".join(words)  # "WHEEL CHAIR", "WHEEL-CHAIR", "WHEELCHAIR" alike
    ending = _LETTERS if stem else ""
    return f"{_NO_LETTER_BEFORE}{body}{ending}{_NO_LETTER_AFTER}"


@dataclass(frozen=True)
class SensitiveTerms:
    codes: frozenset[str]
    patterns: dict[str, re.Pattern[str]]  # category -> one compiled alternation over every language
    languages: tuple[str, ...]

    def categories_of(self, text: str) -> frozenset[str]:
        folded = fold(text)
        found = {category for category, pattern in self.patterns.items() if pattern.search(folded)}
        codes = {word for word in re.findall(r"(?<![a-z])[a-z]{4}(?![a-z])", folded) if word.upper() in self.codes}
        if codes:
            found.add("coded_ssr")
        return frozenset(found)


def load_terms(path: Path = TERMS_FILE) -> SensitiveTerms:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes = frozenset(str(code).upper() for group in data["ssr_codes"].values() for code in group)
    by_category: dict[str, list[str]] = {category: [] for category in CATEGORIES}
    for language, lists in data["languages"].items():
        unknown = set(lists) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"{path}: unknown categories for {language!r}: {sorted(unknown)}")
        for category, terms in lists.items():
            by_category[category].extend(_term_pattern(str(term)) for term in terms)
    patterns = {
        category: re.compile("|".join(sorted(set(parts), key=len, reverse=True)))
        for category, parts in by_category.items()
        if parts
    }
    return SensitiveTerms(codes, patterns, tuple(data["languages"]))


@lru_cache(maxsize=1)
def default_terms() -> SensitiveTerms:
    return load_terms()


def is_sensitive_code(code: str) -> bool:
    """An SSR code that reveals religion or health (a special meal, an assistance or medical code)."""
    return code.strip().upper() in default_terms().codes


def categories_of(text: str) -> frozenset[str]:
    """The sensitive categories ``text`` touches (``coded_ssr`` for an SSR code written in it)."""
    return default_terms().categories_of(text)


def is_sensitive_text(text: str) -> bool:
    return bool(categories_of(text))
