"""Names made comparable: tokens in Latin script, their phonetic keys and the name symbols rigour knows.

A name goes through ``rigour.names.analyze_names`` (honorific and title removal for people, legal
form canonicalisation for organisations, part tagging, cross-script name symbols from Wikidata)
and each part becomes a :class:`Token` carrying its ASCII form (transliterated from any script),
its metaphone, a consonant skeleton for scripts that write few vowels (Arabic, Hebrew, Persian),
and the symbols of the name it spells (``Q649085`` is "Saddam" in any script).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from rigour.names import NamePartTag, NameTypeTag, analyze_names
from rigour.text import ascii_text, metaphone

from enrichment.screening.legal_forms import is_legal_word, org_types_in, strip_person_legal_forms
from enrichment.screening.numbers import is_roman, number_value
from enrichment.screening.scripts import CJK_SCRIPTS, CONSONANT_SCRIPTS, LATIN, loose_reading, read_part, script_of

NameKind = Literal["PER", "ORG", "OBJ", "UNK"]
# What a part is to its name: most are plain name parts; the others cost less when absent.
TokenRole = Literal["name", "particle", "patronymic", "initial", "number"]

# Schema names of the record and list side, mapped to what the name analysis needs to know.
SCHEMA_KINDS: dict[str, NameKind] = {
    "Person": "PER",
    "Company": "ORG",
    "Organization": "ORG",
    "Vessel": "OBJ",
    "Aircraft": "OBJ",
    "LegalEntity": "UNK",
}
# A name of unknown kind without a legal form is analysed as a person's, so that it gets the person-name
# symbols (Saddam = صدام, Sandy = Alexander) whatever the schema says.
_TYPE_TAGS = {"PER": NameTypeTag.PER, "ORG": NameTypeTag.ORG, "OBJ": NameTypeTag.OBJ, "UNK": NameTypeTag.PER}
# Symbol categories that say two tokens are the same name part (a variant, nickname or abbreviation).
_TOKEN_SYMBOL_CATEGORIES = frozenset({"NAME", "NICK", "SYMBOL", "DOMAIN", "ORDINAL", "NUMERIC", "LOCATION"})
# "Abd" (servant of) written every way: Abdul, Abdel, Abd al-, and "bd" when Arabic script loses the ain.
_ABD_FORMS = frozenset({"abd", "abdul", "abdel", "abdal", "abdoul", "abdu", "abdol"})
_ABD_SYMBOL = frozenset({"SYMBOL:ABDUL"})
_ABJAD_SCRIPTS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA")
# Name particles: real parts of a name (kept, so "X bin Y" keeps its structure) that say little alone.
PARTICLES = frozenset(
    {
        "al", "el", "bin", "ibn", "bint", "binti", "ben", "ould", "abu", "umm", "van", "von", "der", "den",
        "de", "da", "di", "du", "del", "della", "dos", "das", "do", "des", "la", "le", "y", "ter", "ten",
        # Titles rigour leaves in place in South Asian and Arabic names: "Haji", "Mullah", "Sheikh".
        "bn", "bnt", "abw",  # "بن", "بنت", "ابو" as transliterated without vowels
        "haji", "hajji", "alhaj", "mullah", "mulla", "maulavi", "mawlawi", "sheikh", "shaikh", "shaykh", "qari",
    }
)  # fmt: skip
# Father's-name endings (Russian, Ukrainian, Turkic): present in one record, often absent in another.
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "ogly", "oglu", "uly", "kyzy", "qizi")
_DIGRAPHS = {"kh": "k", "sh": "s", "th": "t", "dh": "d", "gh": "g", "ph": "f", "ch": "s"}
_DIGRAPH = re.compile("|".join(_DIGRAPHS))
_ALNUM = re.compile(r"[a-z0-9]+")
_SKELETON_DROP = re.compile(r"[aeiouywh'`]")
_SKELETON_MAP = str.maketrans({"q": "k", "c": "k", "v": "w", "p": "b", "j": "j", "x": "ks"})
_SKELETON_DROP_W = re.compile(r"w")
_REPEAT = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class Token:
    """One comparable part of a name."""

    text: str  # lower-case ASCII
    phonetic: str  # metaphone of ``text`` ("" when too short to say anything)
    skeleton: str  # consonants only, for vowel-less transliterations
    symbols: frozenset[str]
    abjad: bool  # written in a script without (most) vowels
    is_initial: bool
    role: TokenRole = "name"
    script: str = LATIN  # the script the part was written in; not Latin means ``text`` is a transliteration
    native: str = ""  # the part in its own script, when not Latin (compared as such against the same script)
    alternates: frozenset[str] = frozenset()  # other readings: kanji read as Japanese, "Park" for "박"

    def __reduce__(self) -> tuple[type[Token], tuple[object, ...]]:
        # Pickled by its fields, the same whether the class is compiled (native.py) or not.
        return Token, tuple(getattr(self, name) for name in _TOKEN_FIELDS)


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name ready to compare: its original text, kind, tokens and legal-form classes."""

    original: str
    kind: NameKind
    tokens: tuple[Token, ...]
    org_classes: frozenset[str]
    texts: frozenset[str] = frozenset()
    joins: frozenset[str] = frozenset()  # two or three adjacent tokens written together: "abdul"+"hai"
    abjad_skeletons: frozenset[str] = frozenset()  # skeletons of tokens from vowel-less scripts
    join_skeletons: frozenset[str] = frozenset()
    skeletons: frozenset[str] = frozenset()
    has_abjad: bool = False
    loose_texts: frozenset[str] = frozenset()  # CJK readings with romanisation conventions made equal
    cjk_script: str = ""  # the CJK script of the name's parts, if any
    acronyms: frozenset[str] = frozenset()  # initials of its words, with and without legal forms and particles

    def __reduce__(self) -> tuple[type[PreparedName], tuple[object, ...]]:
        return PreparedName, tuple(getattr(self, name) for name in _PREPARED_FIELDS)

    @property
    def compact(self) -> str:
        return " ".join(token.text for token in self.tokens)


_TOKEN_FIELDS = tuple(field.name for field in fields(Token))
_PREPARED_FIELDS = tuple(field.name for field in fields(PreparedName))


def kind_of(schema: str | None) -> NameKind:
    return SCHEMA_KINDS.get(schema or "", "UNK")


@lru_cache(maxsize=200_000)
def _is_abjad(form: str) -> bool:
    for char in form:
        if char.isalpha():
            name = unicodedata.name(char, "")
            return name.startswith(_ABJAD_SCRIPTS)
    return False


def _single_consonant(match: re.Match[str]) -> str:
    return _DIGRAPHS[match.group()]


def _first_letter(match: re.Match[str]) -> str:
    return match.group()[0]


@lru_cache(maxsize=200_000)
def skeleton(text: str) -> str:
    """Consonant skeleton: what survives of a name written without short vowels."""
    # One pass over the digraphs: no replacement can form another digraph (none yields an "h").
    out = _DIGRAPH.sub(_single_consonant, text.lower())
    out = _SKELETON_DROP.sub("", out).translate(_SKELETON_MAP)
    out = _SKELETON_DROP_W.sub("", out)
    return _REPEAT.sub(_first_letter, out)  # doubled consonants written once


def role_of(text: str, person: bool, script: str = LATIN) -> TokenRole:
    if text.isdigit():
        return "number"
    if script in CJK_SCRIPTS:
        return "name"  # "i" (이) and "bin" (彬) are whole syllables there, not initials or particles
    if len(text) == 1:
        return "initial"
    if text in PARTICLES:
        return "particle"
    if person and len(text) > 6 and text.endswith(_PATRONYMIC_ENDINGS):
        return "patronymic"
    return "name"


@lru_cache(maxsize=200_000)
def _make_token(
    text: str,
    symbols: frozenset[str],
    abjad: bool,
    person: bool = False,
    script: str = LATIN,
    native: str = "",
    alternates: tuple[str, ...] = (),
) -> Token:
    sound = metaphone(text) if len(text) >= 3 and text.isalpha() else ""
    return Token(
        text=text,
        phonetic=sound,
        skeleton=skeleton(text),
        symbols=symbols,
        abjad=abjad,
        is_initial=len(text) == 1 and not text.isdigit() and script not in CJK_SCRIPTS,
        role=role_of(text, person, script),
        script=script,
        native=native,
        alternates=frozenset(alternates),
    )


def plain_token(text: str) -> Token:
    """A token from lower-case ASCII text alone (no name analysis): cheap blocking keys for a pre-filter."""
    return _make_token(text, frozenset(), False)


def _acronyms(original: str, tokens: list[Token]) -> frozenset[str]:
    """What an acronym of this organisation's name may spell: the initials of its parts without
    particles, with them, and of every word as written, legal forms included ("OAO NPO Splav"),
    hyphenated words counted once or per part."""
    ascii_words = (original if original.isascii() else ascii_text(original)).lower()
    found = {
        "".join(t.text[0] for t in tokens if t.role != "particle") if len(tokens) > 1 else "",
        "".join(t.text[0] for t in tokens) if len(tokens) > 1 else "",
        "".join(word[0] for word in _ALNUM.findall(ascii_words)),
        "".join(match[0][0] for word in ascii_words.split() if (match := _ALNUM.findall(word))),
    }
    return frozenset(acronym for acronym in found if len(acronym) >= 3)


@lru_cache(maxsize=64)
def _category_name(category: object) -> str:
    return str(category).rsplit(".", 1)[-1]


def _numeric_symbol(symbols: frozenset[str]) -> int | None:
    for symbol in symbols:
        if symbol.startswith("NUMERIC:") and symbol[8:].isdigit():
            return int(symbol[8:])
    return None


@lru_cache(maxsize=100_000)
def prepare_name(original: str, kind: NameKind = "UNK") -> PreparedName:
    """Analyse one name. Never raises: a name that normalises to nothing has no tokens.

    A name of unknown kind that carries a legal form ("... LLC", "OOO ...") is read as an organisation.
    """
    if kind == "UNK" and org_types_in(original):
        kind = "ORG"
    text = strip_person_legal_forms(original) if kind == "PER" else original
    analysed = analyze_names(
        _TYPE_TAGS[kind], [text], infer_initials=kind in ("PER", "UNK"), consolidate=False, phonetics=False
    )
    if not analysed:
        return PreparedName(original=original, kind=kind, tokens=(), org_classes=frozenset())
    name = max(analysed, key=lambda candidate: len(candidate.parts))
    part_symbols: dict[int, set[str]] = {}
    org_classes: set[str] = set()
    for span in name.spans:
        symbol = span.symbol
        category = _category_name(symbol.category)
        if category == "ORG_CLASS":
            parts = span.parts
            if not (len(parts) == 1 and is_roman(parts[0].form)):
                org_classes.add(str(symbol.id))
        elif category in _TOKEN_SYMBOL_CATEGORIES:
            parts = span.parts
            if len(parts) == 1:  # a symbol of a phrase ("Abd al-Samad") says nothing about each word alone
                part_symbols.setdefault(parts[0].index, set()).add(f"{category}:{symbol.id}")
    person = kind != "ORG"
    tokens: list[Token] = []
    # A name that is nothing but a legal form ("KHT" is also an acronym) keeps it as its name.
    only_legal = all(part.tag == NamePartTag.LEGAL for part in name.parts)
    for part in name.parts:
        if part.tag == NamePartTag.LEGAL and not is_roman(part.form) and not only_legal:
            continue
        if part.tag == NamePartTag.STOP and kind == "ORG" and len(part.form) > 1 and part.form not in PARTICLES:
            continue  # "of", "the" in a company name; a person's "Un" (Kim Jong Un) or "bin" is a real part
        script = script_of(part.form)
        abjad = script in CONSONANT_SCRIPTS or _is_abjad(part.form)
        symbols = frozenset(part_symbols.get(part.index, ()))
        for reading in read_part(part.form, script, len(name.parts) == 1, person):
            word = reading.text
            if abjad and word.startswith("al") and len(word) > 4:
                word = word[2:]  # the article is written joined in Arabic script ("التكريتي")
            value = number_value(word, kind == "PER")
            if value is None and not person:
                value = _numeric_symbol(symbols)  # rigour's number words in other languages ("quince")
            if value is not None:
                tokens.append(_make_token(str(value), frozenset(), False, person, LATIN))
                continue
            word_symbols = symbols
            if word in _ABD_FORMS or (abjad and word == "bd"):
                word_symbols = symbols | _ABD_SYMBOL
            tokens.append(_make_token(word, word_symbols, abjad, person, script, reading.native, reading.alternates))
    if kind != "PER" and len(tokens) > 1:
        # Legal-form words rigour leaves in place ("Company Ltd" keeps "company", "Incorporeted") carry no identity.
        kept = [token for token in tokens if not is_legal_word(token.text)]
        tokens = kept or tokens
    joins = [a.text + b.text for a, b in pairwise(tokens)]
    joins += [a.text + b.text + c.text for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return PreparedName(
        original=original,
        kind=kind,
        tokens=tuple(tokens),
        org_classes=frozenset(org_classes),
        texts=frozenset(token.text for token in tokens),
        joins=frozenset(joins),
        abjad_skeletons=frozenset(t.skeleton for t in tokens if t.abjad and len(t.skeleton) >= 3),
        skeletons=frozenset(t.skeleton for t in tokens if len(t.skeleton) >= 3),
        join_skeletons=frozenset(skeleton(join) for join in joins),
        has_abjad=any(t.abjad for t in tokens),
        loose_texts=frozenset(
            loose_reading(reading, rules)
            for t in tokens
            if t.script in CJK_SCRIPTS
            for reading in (t.text, *t.alternates)
            for rules in (t.script, "HIRAGANA")
        ),
        cjk_script=next((t.script for t in tokens if t.script in CJK_SCRIPTS), ""),
        acronyms=_acronyms(original, tokens) if kind != "PER" else frozenset(),
    )
