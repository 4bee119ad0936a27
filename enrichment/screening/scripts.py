"""Which script a name part is written in."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

LATIN = "LATIN"


@lru_cache(maxsize=200_000)
def script_of(form: str) -> str:
    """The script of the first letter of ``form`` (``LATIN`` for ASCII and Latin letters with marks)."""
    for char in form:
        if char.isalpha():
            if ord(char) < 0x250:
                return LATIN
            name = unicodedata.name(char, "")
            if name.startswith("CJK"):
                return "HAN"
            return name.split(" ", 1)[0] if name else "UNKNOWN"
        if char.isdigit():
            return LATIN
    return LATIN
