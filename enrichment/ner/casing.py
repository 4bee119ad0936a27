"""Word shape classes that give casing back to an uncased encoder.

The encoder's tokenizer lowercases, so ``Apple`` and ``apple`` look the same to it. Each word gets a
shape class, embedded and added to its word-piece embeddings (see ``model.CasedTokenClassifier``).
"""

from __future__ import annotations

from functools import lru_cache

PAD = 0
LOWER = 1
TITLE = 2
UPPER = 3
MIXED = 4
NUMERIC = 5
OTHER = 6
TITLE_SENTENCE_START = 7

CASING_CLASSES = 8


@lru_cache(maxsize=1 << 16)  # words repeat; this ran for every word of every window on each call
def word_casing(word: str, sentence_start: bool = False) -> int:
    """The shape class of one word (``sentence_start`` separates a capital that grammar demands)."""
    letters = [char for char in word if char.isalpha()]
    if not letters:
        return NUMERIC if any(char.isdigit() for char in word) else OTHER
    if any(char.isdigit() for char in word):
        return MIXED
    cased = [char for char in letters if char.lower() != char.upper()]
    if not cased:  # scripts without case (CJK, Arabic...)
        return OTHER
    if all(char.islower() for char in cased):
        return LOWER
    if len(cased) > 1 and all(char.isupper() for char in cased):
        return UPPER
    if cased[0].isupper() and all(char.islower() for char in cased[1:]):
        return TITLE_SENTENCE_START if sentence_start else TITLE
    return MIXED


def sentence_casing(words: list[str] | tuple[str, ...], starts_sentence: bool = True) -> list[int]:
    return [word_casing(word, sentence_start=starts_sentence and index == 0) for index, word in enumerate(words)]
