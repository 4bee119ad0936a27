"""Person names compared part by part: surname with surname, given names with given names.

The screening matcher scores a whole name, and pairs two spellings of one part only within its
screening edit budget: GARCIA / GAKIA or ZHAO / JAO are two different parts to it, as they should be
when a name alone decides a watchlist hit. Resolution asks another question, about two records that
already share a flight and a date of birth, a booking or a document: is each part of one name the
same part as another clerk, feed or romanisation system wrote it? A part's score is the better of

- the matcher's score for the two parts compared as names on their own (its variants, sounds, typos
  and joined or split parts, ``HA-EUN`` / ``HAEUN``), and
- the edit similarity of the two spellings once the usual romanisation conventions are folded
  (ZH / J, KS / X, W / V, -OFF / -OV, Y / I, OU / U, EE / I, PH / F, TS / C, TCH / CH, SCH / SH, DJ / J,
  KH / H, C / K, doubled letters, spaces and hyphens), so that ``ZHAO`` / ``JAO`` agree fully and
  ``GARCIA`` / ``GAKIA`` as a one-letter slip in five letters.

The feeds that give the parts apart (API/PAXLST and PNRGOV both do) make the swapped-order problem
disappear; a part in the other field (a surname written as a given name) is tried crosswise too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from normality import normalize
from rapidfuzz.distance import OSA

from enrichment.screening import Matcher, NameMatcher, prepare_name

# Romanisation conventions made equal, applied in this order (longer spellings first).
_FOLDS: tuple[tuple[str, str], ...] = (
    (r"[^a-z]", ""), (r"tch", "ch"), (r"sch", "sh"), (r"dj", "j"), (r"zh", "j"), (r"kh", "h"), (r"ph", "f"),
    (r"ks", "x"), (r"ts", "c"), (r"c(?!h)", "k"), (r"ou", "u"), (r"ee", "i"), (r"y", "i"), (r"w", "v"),
    (r"off$", "ov"), (r"(.)\1+", r"\1"),
)  # fmt: skip
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _FOLDS)

_MATCHER: Matcher = NameMatcher()


@lru_cache(maxsize=100_000)
def folded(part: str) -> str:
    """A name part with the common romanisation conventions made equal: ``WOLKOFF`` -> ``volkov``."""
    text = normalize(part, ascii=True) or ""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True, slots=True)
class PartScore:
    """How well one name part agrees with another, and the sentence that says so."""

    score: float
    account: str
    spelling: float = 0.0  # the edit similarity of the folded spellings alone


def _describe(label: str, left: str, right: str, score: float, how: str) -> str:
    text = f"{label} {left!r} / {right!r} agree {score:.2f}"
    return text if score >= 1.0 or not how else f"{text} ({how})"


@lru_cache(maxsize=100_000)
def part_score(left: str, right: str, label: str = "name parts") -> PartScore:
    """The agreement of two spellings of one name part (surname or given names), in [0, 1]."""
    fold_left, fold_right = folded(left), folded(right)
    if not fold_left or not fold_right:
        return PartScore(0.0, f"{label} {left!r} / {right!r}: one is empty")
    loose = OSA.normalized_similarity(fold_left, fold_right)
    how = "same once romanisation is folded" if loose == 1.0 else "spelling once romanisation is folded"
    names = _MATCHER.compare_names(prepare_name(left, "PER"), prepare_name(right, "PER"))
    if names.score >= loose:
        return PartScore(names.score, _describe(label, left, right, names.score, names.describe()), loose)
    return PartScore(round(loose, 4), _describe(label, left, right, loose, how), loose)


@dataclass(frozen=True, slots=True)
class PartsAgreement:
    """Surname and given names of two people, each compared with its counterpart."""

    surname: PartScore
    given: PartScore

    @property
    def weakest(self) -> float:
        return min(self.surname.score, self.given.score)

    @property
    def strongest(self) -> float:
        return max(self.surname.score, self.given.score)

    @property
    def given_spelling(self) -> float:
        return self.given.spelling

    @property
    def accounts(self) -> tuple[str, str]:
        return (self.surname.account, self.given.account)


def parts_agreement(
    left: tuple[str, str] | None, right: tuple[str, str] | None
) -> PartsAgreement | None:
    """Compare (surname, given names) pairs; crosswise when that agrees better (fields swapped in a feed).

    ``None`` when either side does not give its name in parts: then only the whole name can be compared.
    """
    if left is None or right is None:
        return None
    (left_surname, left_given), (right_surname, right_given) = left, right
    straight = PartsAgreement(
        part_score(left_surname, right_surname, "surnames"), part_score(left_given, right_given, "given names")
    )
    if straight.weakest >= 1.0:
        return straight
    crossed = PartsAgreement(
        part_score(left_surname, right_given, "surname / given names"),
        part_score(left_given, right_surname, "given names / surname"),
    )
    return crossed if crossed.weakest > straight.weakest else straight
