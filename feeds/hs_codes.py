"""Harmonized System codes as the feeds state them: one rule for every parser.

A goods item's HS code is written in several ways (``847130``, the tariff-book ``8471.30``, ``8471 30``);
separators are dropped and the digits kept. A code that still is not a Harmonized System code (letters,
a length other than 4, 6, 8 or 10 digits, a chapter the HS does not define) is not kept on the goods
item, and a warning names the value and why, so that the message and its other goods still become
records instead of a dead letter.
"""

from __future__ import annotations

import re

from feeds.base import WarningLog
from schemas.records import HS_CODE_PATTERN

HS_CODE = re.compile(HS_CODE_PATTERN)
SEPARATORS = re.compile(r"[\s.]+")
LENGTHS = (4, 6, 8, 10)


def _why_not(code: str) -> str:
    """Why ``code`` (separators already removed) is not an HS code."""
    if not re.fullmatch(r"[0-9]+", code):
        return "not only digits"
    if len(code) not in LENGTHS:
        return f"{len(code)} digits, not 4, 6, 8 or 10"
    return f"chapter {code[:2]} is not a Harmonized System chapter (01-97, 77 reserved)"


def hs_code(value: str | None, log: WarningLog, where: str) -> str | None:
    """The HS code stated in ``value`` (separators removed), or ``None`` with a warning when it is not one.

    ``where`` names the goods item in the warning (``item 2``, ``FWB 176-12345675 rate line 1``).
    A value that is absent or blank states no code and is no deviation.
    """
    if value is None:
        return None
    code = SEPARATORS.sub("", value)
    if not code:
        return None
    if HS_CODE.match(code):
        if code != value:
            log.add("hs_code.normalised", f"{where}: HS code {value!r} read as {code}")
        return code
    log.add("hs_code.dropped", f"{where}: HS code {value!r} not kept: {_why_not(code)}")
    return None
