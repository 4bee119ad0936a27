"""Name patterns that part-by-part alignment cannot see: acronyms, run-together initials and the
order of lineage names.

* An organisation is often listed or written by its acronym: "HIAST" is the "Higher Institute of
  Applied Science and Technology" (the initials of its words, without legal forms and particles).
* "AJ Benavides Torres" writes two given names as initials run together: "AJ" is "Antonio Jose"
  when the other name has parts starting with A and J in that order.
* In "X bin Y" Y is X's father: "Osama bin Laden" and "Laden bin Osama" are two people, although
  they have the same parts.
"""

from __future__ import annotations

import re

from rigour.text import ascii_text

from enrichment.screening.legal_forms import LEGAL_WORDS
from enrichment.screening.names import PreparedName, Token
from enrichment.screening.scripts import LATIN

LINEAGE_PARTICLES = frozenset({"bin", "ibn", "bint", "binti", "ben", "ould", "bn", "bnt", "walad"})
_SHORT_ACRONYM = 3  # two letters are too many companies' initials
_LONG_ACRONYM = 8
# Words an acronym skips ("Bosques de Agua" is "BA"); "las", "los" stay ("Hacienda Las Limas" is "HLL").
_ACRONYM_SKIPS = frozenset({"de", "del", "y", "et", "und", "al", "el", "of", "the", "and"})
_DOTTED_FORM = 4  # "S.A.", "S.C.S.", "C.V.": letters of an abbreviated legal form
# Legal-form words an acronym leaves out at the end of a name, beside ``LEGAL_WORDS``: "Cia." (compania).
_TRAILING_FORMS = LEGAL_WORDS | {"cia", "compania"}
_WORD_CHARS = re.compile(r"[^a-z0-9]+")


def acronym_match(short: PreparedName, long: PreparedName) -> bool:
    """Whether ``short`` is a single word spelling the initials of ``long``'s words (of two or more)."""
    if len(short.tokens) != 1 or len(long.tokens) < 2 or "PER" in (short.kind, long.kind):
        return False
    word = short.tokens[0]
    if word.script != LATIN or word.role == "number" or not _SHORT_ACRONYM <= len(word.text) <= _LONG_ACRONYM:
        return False
    return word.text in long.acronyms


def expand_initialisms(tokens: tuple[Token, ...], other: tuple[Token, ...]) -> tuple[Token, ...]:
    """Split a two- or three-letter part into initials when ``other`` has adjacent parts with those
    initials in that order and no part written like it ("AJ" against "Antonio Jose", not "Al")."""
    for t in tokens:
        if 2 <= len(t.text) <= 3 and t.role == "name" and t.script == LATIN:
            break
    else:
        return tokens  # no part short enough to be run-together initials (most names)
    texts = {t.text for t in other}
    starts = [t.text[0] for t in other if t.text and t.role != "initial"]
    runs = {"".join(starts[i : i + n]) for n in (2, 3) for i in range(len(starts) - n + 1)}
    result: list[Token] = []
    for token in tokens:
        if 2 <= len(token.text) <= 3 and token.role == "name" and token.text not in texts and token.text in runs:
            result.extend(_initial(char) for char in token.text)
        else:
            result.append(token)
    return tuple(result)


def _initial(char: str) -> Token:
    return Token(
        text=char, phonetic="", skeleton=char, symbols=frozenset(), abjad=False, is_initial=True, role="initial"
    )


def _lineage(tokens: tuple[Token, ...]) -> tuple[int, int] | None:
    """Positions of the child and the father around the first lineage particle ("X bin Y")."""
    for position, token in enumerate(tokens[1:-1], start=1):
        if token.text in LINEAGE_PARTICLES:
            return position - 1, position + 1
    return None


def lineage_swapped(
    left: tuple[Token, ...], right: tuple[Token, ...], aligned: list[tuple[float, int, int, str]]
) -> bool:
    """Whether the child of one name is paired with the father of the other (X bin Y / Y bin X)."""
    left_lineage, right_lineage = _lineage(left), _lineage(right)
    if left_lineage is None or right_lineage is None:
        return False
    pairs = {(i, j) for _, i, j, _ in aligned}
    left_child, left_father = left_lineage
    right_child, right_father = right_lineage
    return (left_child, right_father) in pairs or (left_father, right_child) in pairs


def acronym_spellings(original: str) -> frozenset[str]:
    """More ways an organisation's acronym is written, for blocking only (the matcher's acronyms are
    :attr:`PreparedName.acronyms`): the initials of its words as written, a dotted abbreviation
    ("S.A.C.", "R.L.") one word, without linking words ("de", "y"), and then without its last word,
    its trailing legal forms (known words or short dotted abbreviations) or all its known legal forms
    ("PLSR" is "Petro London, S. de R.L. de C.V.", "PPM" "Peruvian Precious Metals S.A.C.")."""
    kept: list[tuple[str, bool]] = []  # (word, written as a dotted abbreviation)
    for raw in ascii_text(original).lower().split():
        word = _WORD_CHARS.sub("", raw)
        if word and word not in _ACRONYM_SKIPS:
            kept.append((word, "." in raw and len(word) <= _DOTTED_FORM))
    trailing = list(kept)
    while trailing and (trailing[-1][0] in _TRAILING_FORMS or trailing[-1][1]):
        trailing.pop()
    words = [word for word, _ in kept]
    forms = (words, words[:-1], [word for word, _ in trailing], [word for word in words if word not in _TRAILING_FORMS])
    spelled = {"".join(word[0] for word in form) for form in forms}
    return frozenset(acronym for acronym in spelled if _SHORT_ACRONYM <= len(acronym) <= _LONG_ACRONYM)
