"""Scripts of name parts and how each is read in Latin letters.

One romanisation for every script reads Japanese kanji as Mandarin, runs Korean names together and
leaves Khmer empty. Here each script gets the reading the lists and passports use:

* Chinese (Han): ICU's ``Han-Latin/Names`` (pinyin with the surname readings), traditional
  characters first simplified (``Hant-Hans``). Kanji without kana may be Japanese, so a Han part
  also carries its Japanese reading (``pykakasi``, Hepburn).
* Japanese kana: ``pykakasi`` (Hepburn).
* Korean (Hangul): ICU's ``Hangul-Latin`` (Revised Romanisation), plus the spellings passports use
  for the common surnames (김 Kim, 이 Lee/Yi/Rhee, 박 Park/Pak...).
* Thai: ICU ``Thai-Latin``; Khmer: ``anyascii`` (ICU has no Khmer transliterator). Both write
  vowels around consonants in ways no romanisation agrees on, so they compare by consonants.
* Everything else (Arabic, Cyrillic, Greek, Hebrew, Devanagari...): rigour's ``ascii_text`` (ICU).

A run of CJK syllables is one name part ("春美" is "chunmei", not "chun mei"); a person's name written
without spaces ("김정은", "习近平") is split after the surname syllable. Romanisation variants that differ
only by convention (Korean ``eo``/``o``, ``g``/``k``; Japanese long vowels ``ou``/``o``) compare by
:func:`loose_reading`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import icu
import pykakasi
from anyascii import anyascii
from rigour.text import ascii_text

LATIN = "LATIN"
CJK_SCRIPTS = frozenset({"HAN", "HANGUL", "HIRAGANA", "KATAKANA"})
# Scripts whose romanisations differ mostly in vowels: compared by consonant skeleton like abjads.
CONSONANT_SCRIPTS = frozenset({"THAI", "KHMER", "LAO", "MYANMAR"})

# Surnames written one way in Revised Romanisation and others in passports and lists.
KOREAN_SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim"), "이": ("lee", "yi", "rhee", "ri", "li", "i"), "박": ("park", "pak", "bak"),
    "최": ("choi", "choe"), "정": ("jung", "chung", "jeong", "chong"), "강": ("kang", "gang"),
    "조": ("cho", "jo"), "윤": ("yoon", "yun"), "장": ("jang", "chang"), "임": ("lim", "im", "rim"),
    "한": ("han",), "오": ("oh", "o"), "서": ("seo", "suh", "so"), "신": ("shin", "sin"),
    "권": ("kwon", "gwon"), "황": ("hwang",), "안": ("ahn", "an"), "송": ("song",), "류": ("ryu", "yoo", "yu"),
    "유": ("yoo", "yu", "ryu"), "전": ("jeon", "jun", "chun", "chon"), "홍": ("hong",), "고": ("ko", "go"),
    "문": ("moon", "mun"), "양": ("yang",), "손": ("son", "sohn"), "배": ("bae", "pae"), "백": ("baek", "paek"),
    "허": ("heo", "hur", "huh"), "노": ("noh", "roh", "no"), "남": ("nam",), "심": ("shim", "sim"),
    "하": ("ha",), "곽": ("kwak", "gwak"), "성": ("sung", "seong"), "차": ("cha",), "주": ("joo", "ju", "chu"),
    "우": ("woo", "u"), "구": ("koo", "gu", "ku"), "민": ("min",), "리": ("ri", "lee", "li"),
    "림": ("rim", "lim"), "로": ("ro", "roh"), "량": ("ryang", "yang"), "렴": ("ryom", "yeom"),
}  # fmt: skip
# Two-character Chinese surnames: a name written without spaces splits after them, not after one.
_COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟"})

_KOREAN_LOOSE = (
    ("-", ""), ("'", ""), ("yeo", "yo"), ("eo", "o"), ("eu", "u"), ("oo", "u"), ("ee", "i"), ("wo", "o"),
    ("ch", "j"), ("sh", "s"), ("g", "k"), ("b", "p"), ("d", "t"), ("r", "l"),
)  # fmt: skip
_JAPANESE_LOOSE = (
    ("-", ""), ("ou", "o"), ("oo", "o"), ("oh", "o"), ("uu", "u"), ("ii", "i"), ("mb", "nb"), ("mp", "np"),
)  # fmt: skip
_TRANSLITERATORS: dict[str, Any] = {}
_KAKASI: list[Any] = []
_WORD = re.compile(r"[a-z0-9]+")
_THAI_C = re.compile(r"c(?!h)")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb\u02be\u02bf]")  # "Ma'ruf" is one word


@lru_cache(maxsize=200_000)
def script_of(form: str) -> str:
    """The script of the first letter of ``form`` (``LATIN`` for ASCII and Latin letters with marks)."""
    for char in form:
        if char.isalpha():
            if ord(char) < 0x250:
                return LATIN
            name = unicodedata.name(char, "")
            if name.startswith("CJK") or name.startswith("KANGXI"):
                return "HAN"
            return name.split(" ", 1)[0] if name else "UNKNOWN"
        if char.isdigit():
            return LATIN
    return LATIN


def _transliterator(transform: str) -> Any:
    if transform not in _TRANSLITERATORS:
        _TRANSLITERATORS[transform] = icu.Transliterator.createInstance(transform)
    return _TRANSLITERATORS[transform]


def _japanese(form: str) -> str:
    if not _KAKASI:
        _KAKASI.append(pykakasi.kakasi())  # type: ignore[no-untyped-call]
    return "".join(item["hepburn"] for item in _KAKASI[0].convert(form))


def _joined(text: str) -> str:
    """ASCII letters and digits of ``text`` as one word: a run of syllables is one name part."""
    return "".join(_WORD.findall(ascii_text(text).lower()))


def _has_kana(form: str) -> bool:
    return any(script_of(char) in ("HIRAGANA", "KATAKANA") for char in form)


@dataclass(frozen=True, slots=True)
class Reading:
    """One Latin word of a name part: its main romanisation, alternatives, and the native form."""

    text: str
    alternates: tuple[str, ...] = ()
    native: str = ""  # the part in its own script (simplified for Han), for same-script comparison


@lru_cache(maxsize=100_000)
def read_part(form: str, script: str, whole_name: bool, person: bool) -> tuple[Reading, ...]:
    """The Latin words of one name part. ``whole_name``: the part is a person's whole name written
    without spaces ("김정은"), to be split after the surname. Empty when the part has no letters."""
    if script in CJK_SCRIPTS:
        return _read_cjk(form, script, whole_name and person, person)
    if script == "THAI":
        text = ascii_text(_transliterator("Thai-Latin").transliterate(form)).lower()
        # ISO 11940 writes จ as "c"; names are romanised with "j" or "ch" ("Jaidee", "Chaiwat").
        words = tuple(_WORD.findall(_THAI_C.sub("j", _APOSTROPHES.sub("", text))))
    else:
        words = tuple(_WORD.findall(_APOSTROPHES.sub("", ascii_text(form).lower())))
        if not words and any(char.isalpha() for char in form):
            words = tuple(_WORD.findall(anyascii(form).lower()))  # Khmer and the scripts ICU cannot read
    native = form.lower() if script != LATIN and len(words) == 1 else ""
    return tuple(Reading(word, native=native) for word in words)


def _read_cjk(form: str, script: str, split: bool, person: bool) -> tuple[Reading, ...]:
    if script == "HAN" and not _has_kana(form):
        simplified = _transliterator("Hant-Hans").transliterate(form)
        pieces = _split_surname(simplified) if split else (simplified,)
        originals = _split_surname(form) if split else (form,)
        result = []
        for piece, original in zip(pieces, originals, strict=False):
            chinese = _joined(_transliterator("Han-Latin/Names").transliterate(piece))
            japanese = _joined(_japanese(original)) if person else ""
            alternates = (japanese,) if japanese and japanese != chinese else ()
            if chinese:
                result.append(Reading(chinese, alternates, piece))
        return tuple(result)
    if script == "HANGUL":
        pieces = _split_surname(form) if split else (form,)
        result = []
        for position, piece in enumerate(pieces):
            text = _joined(_transliterator("Hangul-Latin").transliterate(piece))
            spellings = KOREAN_SURNAMES.get(piece, ()) if person and position == 0 else ()
            if text:
                result.append(Reading(text, tuple(s for s in spellings if s != text), piece))
        return tuple(result)
    text = _joined(_japanese(form))
    return (Reading(text, (), form),) if text else ()


def _split_surname(form: str) -> tuple[str, ...]:
    """A CJK person's name written without spaces: its surname syllable(s), then the given name."""
    if len(form) < 2 or len(form) > 4:
        return (form,)
    cut = 2 if form[:2] in _COMPOUND_SURNAMES else 1
    return (form[:cut], form[cut:])


@lru_cache(maxsize=200_000)
def loose_reading(text: str, script: str) -> str:
    """A romanisation with the conventions of ``script``'s systems made equal ("Seong"/"Song")."""
    rules = _KOREAN_LOOSE if script == "HANGUL" else _JAPANESE_LOOSE
    for old, new in rules:
        text = text.replace(old, new)
    return text
