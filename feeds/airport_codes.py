"""Airport codes as written in travel messages (``LOC+125+FRA``, ``TVL`` city pairs), in one normal form."""

from __future__ import annotations


def airport_code(code: str) -> str | None:
    """``fra `` -> ``FRA``; ``None`` for anything that is not three Latin letters (a city or country code
    with digits, an empty element), so a malformed location never becomes a graph node."""
    value = code.strip().upper()
    return value if len(value) == 3 and value.isascii() and value.isalpha() else None
