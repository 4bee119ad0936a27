"""How alike two name parts are: exact, initial, a known variant, or a spelling that allows for typos.

Fuzzy credit is length-aware. The number of edits a part may carry grows with its length (one for
a short part, two from nine letters, three from thirteen), and one edit on a short part earns
partial credit only ("Omar"/"Amar" is 0.8, not 0.86). Pairs under ``WEAK_SIMILARITY`` do not pair
at all: a part that far from the other is a different part, and counts as such in the name score.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA

from enrichment.screening.names import Token
from enrichment.screening.scripts import CJK_SCRIPTS, LATIN, loose_reading

INITIAL_SIMILARITY = 0.8
VARIANT_SIMILARITY = 0.95  # rigour knows both spellings as the same name (symbols)
DOUBLE_LETTER_SIMILARITY = 0.95  # "Jorgge" / "Jorge"
TRANSPOSITION_SIMILARITY = 0.9  # "Aizz" / "Aziz" on a part of four letters or more
SOUND_SIMILARITY = 0.85  # same metaphone, spelled apart
SHORT_EDIT_SIMILARITY = 0.8  # one edit on a part of three letters or less
SHORT_FORM_SIMILARITY = 0.82  # "Vic" / "Victor": a nickname rigour's symbols do not know
WEAK_SIMILARITY = 0.8  # under this two Latin parts are not the same part
TRANSLITERATION_FLOOR = 0.7  # the same for a part transliterated from another script
ROMANISATION_SIMILARITY = 0.95  # a CJK part and a romanisation equal up to the system's conventions

_DOUBLES = re.compile(r"(.)\1+")
_SIMILARITY_CACHE: dict[tuple[str, str, bool], tuple[float, str]] = {}
_SIMILARITY_CACHE_MAX = 500_000


def clear_similarity_cache() -> None:
    """Forget memoised token similarities (benchmarks measure cold queries)."""
    _SIMILARITY_CACHE.clear()
    collapse_doubles.cache_clear()


def edit_budget(length: int) -> int:
    """Edits a part of ``length`` letters may carry and still be the same part."""
    if length <= 2:
        return 0
    if length <= 8:
        return 1
    if length <= 12:
        return 2
    return 3


def token_similarity(left: Token, right: Token) -> tuple[float, str]:
    """How alike two name parts are, and why; symmetric; 0.0 when they are not the same part."""
    if left.native and right.native and left.script == right.script:
        return _same_script_similarity(left, right)
    if left.text == right.text:
        return 1.0, "same"
    if left.is_initial or right.is_initial:
        if left.text[0] == right.text[0]:
            return INITIAL_SIMILARITY, "initial"
        return 0.0, ""
    if left.role == "number" or right.role == "number":
        return 0.0, ""  # 12 and 13 are different numbers, however close they are spelled
    if left.symbols and not left.symbols.isdisjoint(right.symbols):
        return VARIANT_SIMILARITY, "variant"
    if left.script in CJK_SCRIPTS or right.script in CJK_SCRIPTS:
        return _romanisation_similarity(left, right)
    abjad = left.abjad or right.abjad
    transliterated = left.script != LATIN or right.script != LATIN
    key = (left.text, right.text, transliterated) if left.text < right.text else (right.text, left.text, transliterated)
    cached = _SIMILARITY_CACHE.get(key)
    if cached is None:
        if transliterated:
            cached = _transliteration_similarity(left, right, abjad)
        else:
            cached = _spelling_similarity(left, right)
        if len(_SIMILARITY_CACHE) >= _SIMILARITY_CACHE_MAX:
            _SIMILARITY_CACHE.clear()
        _SIMILARITY_CACHE[key] = cached
    return cached


def _same_script_similarity(left: Token, right: Token) -> tuple[float, str]:
    """Two parts written in the same non-Latin script compare in that script: "美玉" and "梅玉" are two
    names even though both read "meiyu"; Cyrillic or Arabic spellings compare letter by letter."""
    if left.native == right.native:
        return 1.0, "same"
    if left.script in CJK_SCRIPTS:
        return 0.0, ""
    if left.symbols and not left.symbols.isdisjoint(right.symbols):
        return VARIANT_SIMILARITY, "variant"
    return _spelling_similarity(left, right)


def _romanisation_similarity(left: Token, right: Token) -> tuple[float, str]:
    """A Chinese, Japanese or Korean part against its romanisation: any of its readings, with the
    conventions of romanisation systems made equal ("Seong-ho"/"Song Ho", "Yōko"/"Youko"/"Yoko")."""
    native, other = (left, right) if left.script in CJK_SCRIPTS else (right, left)
    if other.script in CJK_SCRIPTS:
        return 0.0, ""  # Chinese against Korean characters: no common reading worth trusting
    best, why = 0.0, ""
    for reading in (native.text, *native.alternates):
        if reading == other.text:
            return 1.0, "same"
        for script in (native.script, "HIRAGANA"):
            mine, theirs = loose_reading(reading, script), loose_reading(other.text, script)
            if mine == theirs:
                best, why = max((best, why), (ROMANISATION_SIMILARITY, "romanisation"))
            elif min(len(mine), len(theirs)) >= 4:
                similarity = OSA.normalized_similarity(mine, theirs) * ROMANISATION_SIMILARITY
                if similarity >= TRANSLITERATION_FLOOR + 0.1 and similarity > best:
                    best, why = round(similarity, 4), "romanisation"
    return best, why


@lru_cache(maxsize=200_000)
def collapse_doubles(text: str) -> str:
    return _DOUBLES.sub(r"\1", text)


def _edit_similarity(left: str, right: str) -> tuple[float, str]:
    """Similarity from the edit distance, within the budget of the shorter part's length."""
    if collapse_doubles(left) == collapse_doubles(right):
        return DOUBLE_LETTER_SIMILARITY, "double letter"
    shorter = min(len(left), len(right))
    distance = OSA.distance(left, right, score_cutoff=edit_budget(shorter) + 1)
    if distance > edit_budget(shorter):
        return 0.0, ""
    if distance == 1 and sorted(left) == sorted(right) and shorter >= 4:
        return TRANSPOSITION_SIMILARITY, "typo"
    if shorter <= 3:
        return SHORT_EDIT_SIMILARITY, "spelling"
    return round(1.0 - distance / (shorter + 1), 4), "spelling"


def _same_sound(left: Token, right: Token) -> bool:
    # Same metaphone only counts for names long enough to carry sound (not John/Jane: both "JN").
    return (
        len(left.phonetic) >= 3
        and left.phonetic == right.phonetic
        and OSA.normalized_similarity(left.text, right.text) >= 0.5
    )


def _short_form(left: str, right: str) -> bool:
    """A short form of a given name: "Vic" / "Victor", "Patti" / "Patricia" (first three letters shared,
    the short one of three to five letters, the long one at least two longer)."""
    short, long = (left, right) if len(left) <= len(right) else (right, left)
    return 3 <= len(short) <= 5 and len(long) >= len(short) + 2 and short[:3] == long[:3]


def _spelling_similarity(left: Token, right: Token) -> tuple[float, str]:
    """Two parts both written in Latin script: a typo or a spelling variant, within the edit budget."""
    best, why = _edit_similarity(left.text, right.text)
    if best < SHORT_FORM_SIMILARITY and left.role == right.role == "name" and _short_form(left.text, right.text):
        best, why = SHORT_FORM_SIMILARITY, "short form"
    # Sound only vouches for longer parts: "Oleg" and "Olga" share a metaphone.
    if best < SOUND_SIMILARITY and min(len(left.text), len(right.text)) >= 5 and _same_sound(left, right):
        best, why = SOUND_SIMILARITY, "sound"
    if best < WEAK_SIMILARITY:
        return 0.0, ""
    return best, why


def _transliteration_similarity(left: Token, right: Token, abjad: bool) -> tuple[float, str]:
    """A part transliterated from another script against a Latin one: transliteration systems differ
    by more than a typo ("Dzhamal"/"Jamal"), so spelling is compared more loosely, and scripts
    without written short vowels by their consonants."""
    best, why = OSA.normalized_similarity(left.text, right.text), "transliteration"
    if best < SOUND_SIMILARITY and _same_sound(left, right):
        best, why = SOUND_SIMILARITY, "sound"
    if abjad and best < SOUND_SIMILARITY:
        if len(left.skeleton) >= 2:
            consonants = OSA.normalized_similarity(left.skeleton, right.skeleton)
            if consonants >= 0.75 and consonants * 0.9 > best:
                best, why = consonants * 0.9, "consonants"
        elif left.skeleton and left.skeleton == right.skeleton and min(len(left.text), len(right.text)) >= 3:
            # "عزيز" loses its ain and vowels ("zyz"): one consonant left, the same as "Aziz"'s.
            best, why = max(best, TRANSLITERATION_FLOOR + 0.1), "consonants"
    if best < TRANSLITERATION_FLOOR:
        return 0.0, ""
    return best, why


def credit(similarity: float, why: str) -> float:
    """What a pair earns in the name score: spelling matches earn less the further apart they are
    (squared), so that one weak pair cannot carry a long name; exact parts, variants, initials and
    transliterations earn their similarity."""
    if why in ("spelling", "typo", "sound", "double letter", "short form"):
        return similarity**2
    return similarity
