"""Splitting free text into CoNLL-like words with character offsets.

The model was trained on pre-tokenised corpora (punctuation split off, ``'s`` separate), so raw text
is cut the same way before tagging; the offsets let entities point back into the original string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(
    r"""
    (?:[A-Za-z]\.){2,}(?![A-Za-z])     # abbreviations: U.S., U.K., e.g.
    | (?:Mr|Mrs|Ms|Dr|St|Gen|Col|Capt|Lt|Sgt|Prof|Rev|Sen|Rep|Gov|Mt|Ft)\.(?=\s+[A-Z])
                                      # titles before a name: Mr. Dr. St. Gen. (not any short word:
                                      # "from East Asia. Used ..." must end the sentence at "Asia")
    | \w+(?:[-'’&.]\w+)*              # words, hyphenated words, numbers like 1,000.50 split below
    | \S                              # any other single non-space character
    """,
    re.VERBOSE,
)
_CLITIC = re.compile(r"(?i)(\w)(['’](?:s|ll|re|ve|d|m)|n['’]t)$")


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """Words of ``text`` in order, each with ``text[start:end] == word.text``."""
    words: list[Word] = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        clitic = _CLITIC.search(match.group())
        if clitic and clitic.start(2) > 0:
            cut = start + clitic.start(2)
            words.append(Word(text[start:cut], start, cut))
            words.append(Word(text[cut:end], cut, end))
        else:
            words.append(Word(match.group(), start, end))
    return words


_SENTENCE_END = {".", "!", "?", "…"}


def split_sentences(text: str) -> list[list[Word]]:
    """Words grouped into sentences: after ``. ! ?`` before a capital or digit, and at blank lines.

    Tagging sentence by sentence matches how the model was trained (a capital at a sentence start
    means less than one inside it) and keeps batches short.
    """
    sentences: list[list[Word]] = []
    current: list[Word] = []
    for word in split_words(text):
        if current:
            gap = text[current[-1].end : word.start]
            ended = current[-1].text in _SENTENCE_END and (word.text[:1].isupper() or word.text[:1].isdigit())
            if ended or gap.count("\n") >= 2:
                sentences.append(current)
                current = []
        current.append(word)
    if current:
        sentences.append(current)
    return sentences
