"""Numbers in names: digits, number words and roman numerals read as one value.

"One Basic Element", "1 Basic Element" and "Basic Element I" name the same company only if the
number agrees, and "Atlas III" is not "Atlas IV". Roman numerals are read as numbers, never as legal
forms ("II" is also a transliteration of the Russian "ИП", sole proprietor). In a person's name only
the generational numerals (II to IV) count: "Xi", "Vi", "Di" are names there.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}  # fmt: skip
# I, V and X only: "CV" (S.A. de C.V.), "MD", "DC", "CD", "LL" are letters in company names.
_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_PERSON_ROMAN = frozenset({"ii", "iii", "iv"})
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def roman_value(word: str) -> int | None:
    """The value of a roman numeral of two letters or more (``"ix"`` is 9); ``None`` otherwise."""
    word = word.lower()
    if len(word) < 2 or not _ROMAN.match(word):
        return None
    total = 0
    for i, char in enumerate(word):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[word[i + 1]] if i + 1 < len(word) else 0
        total += -value if value < following else value
    return total


def is_roman(word: str, person: bool = False) -> bool:
    if person:
        return word.lower() in _PERSON_ROMAN
    return roman_value(word) is not None


@lru_cache(maxsize=50_000)
def number_value(word: str, person: bool = False) -> int | None:
    """The number a name word stands for: ``"12"``, ``"twelve"``, ``"xii"``; ``None`` for other words."""
    if word.isdigit():
        return int(word)
    if person:
        return roman_value(word) if word in _PERSON_ROMAN else None
    if word in _WORDS:
        return _WORDS[word]
    return roman_value(word)
