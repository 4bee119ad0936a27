"""A small language guesser: the page's declared ``lang`` first, else stop-word counts.

Good enough to route news text to the right NER model; not a general language identifier.
"""

from __future__ import annotations

import re

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "was",
            "for",
            "on",
            "that",
            "with",
            "by",
            "as",
            "are",
            "from",
            "at",
        ]
    ),
    "fr": frozenset(
        ["le", "la", "les", "et", "des", "du", "est", "un", "une", "pour", "dans", "que", "sur", "par", "au"]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "mit",
            "von",
            "den",
            "zu",
            "ein",
            "eine",
            "auf",
            "für",
            "im",
        ]
    ),
    "es": frozenset(["el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "con", "para", "es", "del"]),
    "it": frozenset(
        ["il", "lo", "la", "gli", "le", "e", "di", "che", "un", "una", "per", "con", "non", "del", "della"]
    ),
    "nl": frozenset(["de", "het", "een", "en", "van", "is", "dat", "op", "te", "met", "voor", "niet", "zijn"]),
    "pt": frozenset(["o", "a", "os", "as", "e", "de", "que", "em", "um", "uma", "para", "com", "não", "do", "da"]),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LANG_ATTR = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]+)*$")


def _script_language(text: str) -> str | None:
    sample = text[:2000]
    if re.search(r"[\u3040-\u30ff]", sample):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", sample):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", sample):
        return "zh"
    if re.search(r"[\u0400-\u04ff]", sample):
        return "ru"
    if re.search(r"[\u0600-\u06ff]", sample):
        return "ar"
    return None


def guess_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code, or None when there is too little text to tell."""
    if declared and _LANG_ATTR.match(declared.strip()):
        return declared.strip()[:2].lower()
    by_script = _script_language(text)
    if by_script:
        return by_script
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if len(words) < 5:
        return None
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= 2 else None
