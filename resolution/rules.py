"""The resolution rules: two profiles of one kind in, a ``Match`` with its reasons out, or ``None``.

A decision depends on the two profiles alone (never on what else has been seen), so the clusters that
the matches make are the same whatever order the records arrive in. Each kind has its own rules, tried
strongest first; a contradiction (two dates of birth, two registration numbers, two different
passports of one country) vetoes the weaker rules, and only a shared identity document or transport
document outweighs a name that does not agree.

Name-variant tolerance (transliterations, spelling variants, initials, swapped name order) is the
screening name matcher's, through its public ``Matcher`` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from normality import normalize
from rapidfuzz.distance import OSA

from enrichment.screening import Matcher, NameMatcher, PreparedName, prepare_name
from resolution.name_parts import PartsAgreement, parts_agreement
from resolution.profiles import EntityKind, Names, Profile

# Thresholds chosen on the development profile (seeds 11, 12 and 13, noise profile "dev"); see BENCHMARKS.md.
NAME_WITH_DOCUMENT = 0.5  # a shared passport needs names that are not plainly someone else's
NAME_WITH_BIRTH_DATE = 0.8  # name variant + same date of birth + a shared flight or contact
NAME_WITHOUT_BIRTH_DATE = 0.9  # no date of birth on one side: the given names must agree closely
NAME_WITHOUT_BIRTH_DATE_WHOLE = 0.95  # ... or, without the parts, the whole name up to a variant
NAME_DOCUMENT_TYPO = 0.85
PARTY_NAME = 0.85  # a party name variant + a shared phone, e-mail or address
CONSIGNMENT_PARTY_NAME = 0.8  # same container on the same sailing + a consignee or shipper that agrees
PART_AGREES = 0.9  # one name part the same up to romanisation: enough beside a shared passport
PART_VARIANT = 0.6  # every name part a plausible spelling of the other's: enough beside a date of birth
SPELLING_FLOOR = 0.5  # below this no two words are taken for spellings of one name part

# Rule strengths: lower is stronger. Clustering under analysts' rejections applies stronger evidence first.
STRENGTH: dict[str, int] = {
    "travel_document": 0,
    "registration": 0,
    "transport_document": 0,
    "declaration_reference": 0,
    "flight_designator": 0,
    "travel_document_typo": 1,
    "name_birth_date_flight": 1,
    "name_birth_date_contact": 2,
    "name_contact": 2,
    "name_flight_contact": 3,
    "container_sailing": 3,
    "name_flight_unique": 4,
}


@dataclass(frozen=True, slots=True)
class Match:
    """A proposed merge of two records, with the rule that proposed it and why (sentences)."""

    left: str
    right: str
    kind: EntityKind
    rule: str
    reasons: tuple[str, ...]

    @property
    def pair(self) -> tuple[str, str]:
        return (self.left, self.right)

    @property
    def strength(self) -> int:
        return STRENGTH.get(self.rule, 9)

    @property
    def sentence(self) -> str:
        return "; ".join(self.reasons)


def pair_of(left: str, right: str) -> tuple[str, str]:
    """The order-free key of a pair of record ids."""
    return (left, right) if left <= right else (right, left)


_MATCHER: Matcher = NameMatcher()


def _is_abbreviation(short: str, long: str) -> bool:
    """``IND`` / ``INDUSTRIAL``, ``INTL`` / ``INTERNATIONAL``: same first letter, letters in order, shorter."""
    if len(short) < 3 or len(short) >= len(long) or short[0] != long[0]:
        return False
    rest = iter(long)
    return all(char in rest for char in short)


def _expand_abbreviations(name: PreparedName, other: PreparedName) -> PreparedName:
    """``name`` with its abbreviated words written as ``other`` writes them in full (organisations only)."""
    if name.kind != "ORG" or other.kind != "ORG":
        return name
    words = name.original.upper().split()
    targets = [word for word in other.original.upper().split() if len(word) > 3]
    expanded = [next((t for t in targets if _is_abbreviation(word.strip(".,"), t)), word) for word in words]
    return prepare_name(" ".join(expanded), "ORG") if expanded != words else name


def _words(names: Names) -> set[str]:
    return {word for text in names.texts for word in (normalize(text, ascii=True) or "").split()}


def could_agree(left: Names, right: Names) -> bool:
    """Whether any word of one name is spelt at all like a word of the other (or abbreviates it).

    Names with nothing in common score 0 with the matcher; this check settles them without the name
    analysis, whose first use in a process loads its name data for a long while.
    """
    words = _words(right)
    return any(
        a == b or a.startswith(b) or b.startswith(a) or OSA.normalized_similarity(a, b) >= SPELLING_FLOOR
        for a in _words(left)
        for b in words
    )


def name_agreement(left: Names, right: Names) -> tuple[float, str]:
    """The best name score between two name lists, and the matcher's account of it."""
    best, account = 0.0, ""
    if not left or not right:
        return best, account
    if not could_agree(left, right):
        return best, f"names {left.texts[0]!r} / {right.texts[0]!r} have no word in common"
    for a, b in product(left.prepared(), right.prepared()):
        a, b = _expand_abbreviations(a, b), _expand_abbreviations(b, a)
        comparison = _MATCHER.compare_names(a, b)
        if comparison.score > best or not account:
            best, account = comparison.score, f"names {a.original!r} / {b.original!r} agree {comparison.score:.2f}"
            if comparison.score < 1.0:
                account += f" ({comparison.describe()})"
    return best, account


def _shared_contacts(a: Profile, b: Profile) -> list[str]:
    found = [f"same phone {value}" for value in sorted(a.phones & b.phones)]
    found += [f"same e-mail {value}" for value in sorted(a.emails & b.emails)]
    if a.kind == "traveller":
        found += [f"same booking {value}" for value in sorted(a.locators & b.locators)]
    if a.address and a.address == b.address:
        found.append(f"same address {a.address}")
    return found


def _document_type(profile: Profile, number: str) -> str:
    return next((kind for value, kind in profile.document_types if value == number), "travel document")


def _one_moved(left: str, right: str) -> bool:
    """The same characters with one moved elsewhere (dropped, then typed again further on)."""
    if len(left) != len(right) or sorted(left) != sorted(right):
        return False
    return any(left[:i] + left[i + 1 :] == right[:j] + right[j + 1 :]
               for i in range(len(left)) for j in range(len(right)) if left[i] == right[j])


def near_numbers(left: str, right: str) -> bool:
    """One mistyped, missing, swapped or moved character (long numbers only: short ones collide by chance)."""
    if min(len(left), len(right)) < 6:
        return False
    return OSA.distance(left, right) == 1 or _one_moved(left, right)


def _parts_sentence(parts: PartsAgreement | None) -> tuple[str, ...]:
    return parts.accounts if parts is not None else ()


def _different_documents(a: Profile, b: Profile) -> bool:
    """Documents of one issuing country that are more than two slips apart (both sides may carry one)."""
    pairs = [(na, nb) for (ca, na), (cb, nb) in product(a.documents, b.documents) if ca == cb]
    return bool(pairs) and not any(
        min(len(na), len(nb)) >= 8 and OSA.distance(na, nb, score_cutoff=2) <= 2 for na, nb in pairs
    )


def _near_documents(a: Profile, b: Profile) -> list[tuple[str, str, str]]:
    return [
        (ca, na, nb)
        for (ca, na), (cb, nb) in product(sorted(a.documents), sorted(b.documents))
        if ca == cb and near_numbers(na, nb)
    ]


def contradiction(a: Profile, b: Profile) -> bool:
    """Two travellers by what they say of themselves: two dates of birth, two genders or two passports."""
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return True
    if a.gender and b.gender and a.gender != b.gender:
        return True
    return not _near_documents(a, b) and _different_documents(a, b)


def given_names_agree(parts: PartsAgreement) -> bool:
    """Given names close enough to tell a traveller from a relative on the same booking.

    The same up to romanisation or a variant the matcher knows, and spelt alike as well: the matcher's
    name symbols equate some given names that are spelt nothing alike (``CHIH-MING`` / ``MIN-JI``).
    """
    return parts.given.score >= NAME_WITHOUT_BIRTH_DATE and parts.given_spelling >= SPELLING_FLOOR


def _travellers(a: Profile, b: Profile) -> Match | None:
    left, right = pair_of(a.record_id, b.record_id)
    born = a.birth_date is not None and a.birth_date == b.birth_date
    birth_note = [f"date of birth {a.birth_date.isoformat()}"] if born and a.birth_date else []

    shared = sorted(a.documents & b.documents)
    score, account = name_agreement(a.names, b.names) if shared else (0.0, "")
    parts = parts_agreement(a.name_parts, b.name_parts) if shared and score < NAME_WITH_DOCUMENT else None
    if shared and (score >= NAME_WITH_DOCUMENT or born or (parts is not None and parts.strongest >= PART_AGREES)):
        country, number = shared[0]
        same = f"same {_document_type(a, number)} {number} {country}".rstrip()
        if born:
            same += f" and {birth_note[0]}"
        return Match(left, right, "traveller", "travel_document", (same, account, *_parts_sentence(parts)))

    # Contradictions veto everything below: two people, whatever their names say.
    if contradiction(a, b):
        return None
    near = _near_documents(a, b)

    flights = sorted(a.flights & b.flights)
    contacts = _shared_contacts(a, b)
    if not ((near and (born or flights)) or (born and (flights or contacts)) or (flights and contacts)):
        return None  # no rule below could fire: the names need not be compared
    if not shared:
        score, account = name_agreement(a.names, b.names)
    parts = parts_agreement(a.name_parts, b.name_parts)
    weakest_part = parts.weakest if parts is not None else 0.0
    if near and (born or flights) and (score >= NAME_DOCUMENT_TYPO or weakest_part >= PART_VARIANT):
        country, first, second = near[0]
        typo = f"{_document_type(a, first)} numbers {first} / {second} {country} one character apart (mistyped)"
        names = (account,) if score >= NAME_DOCUMENT_TYPO else (account, *_parts_sentence(parts))
        return Match(left, right, "traveller", "travel_document_typo", (typo, *birth_note, *names))
    reasons: tuple[str, ...]
    if born and (score >= NAME_WITH_BIRTH_DATE or weakest_part >= PART_VARIANT):
        names = (account,) if score >= NAME_WITH_BIRTH_DATE else (account, *_parts_sentence(parts))
        if flights:
            reasons = (f"same {birth_note[0]}", f"same flight leg {flights[0]}", *names)
            return Match(left, right, "traveller", "name_birth_date_flight", reasons)
        if contacts:
            reasons = (f"same {birth_note[0]}", *contacts, *names)
            return Match(left, right, "traveller", "name_birth_date_contact", reasons)
    if not (flights and contacts):
        return None
    # Relatives on one booking share surname, phone and flights: the given names must agree closely.
    missing = "date of birth missing on one side" if not born else f"same {birth_note[0]}"
    if parts is not None:
        if given_names_agree(parts) and parts.surname.score >= PART_VARIANT:
            reasons = (f"same flight leg {flights[0]}", *contacts, account, *parts.accounts, missing)
            return Match(left, right, "traveller", "name_flight_contact", reasons)
        return None
    if score >= NAME_WITHOUT_BIRTH_DATE_WHOLE:
        reasons = (f"same flight leg {flights[0]}", *contacts, account, missing)
        return Match(left, right, "traveller", "name_flight_contact", reasons)
    return None


def _parties(a: Profile, b: Profile) -> Match | None:
    left, right = pair_of(a.record_id, b.record_id)
    shared = sorted(a.registrations & b.registrations)
    score, account = name_agreement(a.names, b.names) if shared else (0.0, "")
    if shared and score >= NAME_WITH_DOCUMENT:
        return Match(left, right, "party", "registration", (f"same registration number {shared[0]}", account))
    if a.registrations and b.registrations and not shared:
        return None  # two registration numbers: two companies, however alike their names
    if a.country and b.country and a.country != b.country:
        return None
    contacts = _shared_contacts(a, b)
    other_phone = bool(a.phones and b.phones and not a.phones & b.phones)
    other_address = bool(a.address and b.address and a.address != b.address)
    if other_phone and other_address:
        return None  # a namesake elsewhere: a shared e-mail domain does not make one company
    if not contacts:
        return None
    if not shared:
        score, account = name_agreement(a.names, b.names)
    if score >= PARTY_NAME:
        return Match(left, right, "party", "name_contact", (*contacts, account))
    return None


def _document_word(number: str) -> str:
    return "air waybill" if number.isdigit() and len(number) == 11 else "transport document"


def _consignments(a: Profile, b: Profile) -> Match | None:
    left, right = pair_of(a.record_id, b.record_id)
    shared = sorted(a.transport_documents & b.transport_documents)
    if shared:
        reason = f"same {_document_word(shared[0])} {shared[0]}"
        return Match(left, right, "consignment", "transport_document", (reason,))
    references = sorted(a.references & b.references)
    if references:
        return Match(left, right, "consignment", "declaration_reference", (f"same MRN/LRN {references[0]}",))
    if a.transport_documents and b.transport_documents:
        return None  # two bills of lading in one container are two consignments
    sailings = sorted(a.sailings & b.sailings)
    if sailings:
        score, account = name_agreement(a.party_names, b.party_names)
        if score >= CONSIGNMENT_PARTY_NAME:
            container, vessel, day = sailings[0].split("|")
            reason = f"same container {container} on vessel IMO {vessel} arriving {day}"
            return Match(left, right, "consignment", "container_sailing", (reason, account))
    return None


def _flights(a: Profile, b: Profile) -> Match | None:
    if a.flight_key is None or a.flight_key != b.flight_key:
        return None
    if a.address and b.address and a.address != b.address:
        return None  # another leg of a multi-leg flight number
    left, right = pair_of(a.record_id, b.record_id)
    origin = f" from {a.address or b.address}" if a.address or b.address else ""
    return Match(left, right, "flight", "flight_designator", (f"same flight {a.flight_key}{origin}",))


def compare(a: Profile, b: Profile) -> Match | None:
    """The match between two records' profiles, or ``None`` when no rule proposes one."""
    if a.kind != b.kind or a.record_id == b.record_id:
        return None
    if a.record_id > b.record_id:
        a, b = b, a  # one reading of every pair, whichever record arrived first
    if a.kind == "traveller":
        return _travellers(a, b)
    if a.kind == "party":
        return _parties(a, b)
    if a.kind == "consignment":
        return _consignments(a, b)
    return _flights(a, b)
