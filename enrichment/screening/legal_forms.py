"""Legal forms in names: recognised when misspelled, removed from people's names.

rigour recognises legal forms ("LLC", "Aktiengesellschaft", "OOO") and some misspellings; the words
below catch the rest within the same edit budget as name parts ("Incorporeted", "Compnay"). In a
person's name a legal form is an artefact of the source (a record that appended "GmbH"), not part
of the name; two-letter forms without dots ("Sa", "Ag") are left alone there, since they are also
surnames and given names.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from rigour.names import extract_org_types

from enrichment.screening.numbers import is_roman

# Legal-form and generic company words that carry no identity.
LEGAL_WORDS = frozenset(
    {
        "company", "co", "corp", "corporation", "inc", "incorporated", "limited", "ltd", "llc", "plc", "sa", "ag",
        "gmbh", "ltda", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "kg", "pte", "pty", "jsc", "ojsc",
        "cjsc", "pjsc", "ooo", "zao", "oao", "pao", "llp", "lp", "sdn", "bhd", "aktiengesellschaft",
        "gesellschaft", "sociedad", "anonima", "societe", "anonyme", "limitada", "cv", "sas",
    }
)  # fmt: skip
_FUZZY_LEGAL = frozenset(word for word in LEGAL_WORDS if len(word) >= 7)


@lru_cache(maxsize=50_000)
def is_legal_word(word: str) -> bool:
    """A legal-form word, or a misspelling of a long one within one or two edits."""
    if word in LEGAL_WORDS:
        return True
    if len(word) < 6:
        return False
    budget = 1 if len(word) < 9 else 2
    return process.extractOne(word, _FUZZY_LEGAL, scorer=OSA.distance, score_cutoff=budget) is not None


def org_types_in(name: str) -> list[str]:
    """The legal forms rigour finds in ``name``, without roman numerals ("II" is a number, not "ИП")."""
    return [form for form, _ in extract_org_types(name) if not is_roman(form.strip(". "))]


def strip_person_legal_forms(name: str) -> str:
    """``name`` without the legal forms a person's name cannot carry ("KNOWLES Samuel S.A." -> "KNOWLES Samuel")."""
    forms = [form for form in org_types_in(name) if not (len(form) <= 2 and form.isalpha())]
    for form in forms:
        at = name.rfind(form)
        if at >= 0:
            name = name[:at] + " " + name[at + len(form) :]
    return name
