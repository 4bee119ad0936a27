"""One name on one flight: an API record and a PNR that share nothing else, but whose name nobody else has.

An API record without a booking reference and a PNR without a date of birth or passport share only a
flight and a name. Pairwise, that is exactly what two namesakes on one flight look like, so the
pairwise rules leave such pairs apart. Over the whole flight it is not: when no other traveller on the
flight has a name that could be the same (by surname or given names, allowing for spelling and
romanisation), the two records can only be one traveller. This is the only rule that looks at more
than two records, and what it looks at is fixed by the records on the flight, so it is re-decided
whenever a traveller with a related name joins that flight: a later namesake withdraws the match.

``FlightNames`` keeps, per flight, the travellers under their folded surname and given names; the
decision itself (``unique_on_flight``) is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from resolution.name_parts import PartsAgreement, folded, parts_agreement
from resolution.profiles import Profile
from resolution.rules import (
    PART_VARIANT,
    SPELLING_FLOOR,
    Match,
    contradiction,
    pair_of,
)

RULE = "name_flight_unique"
# Both parts a close spelling of the other's (one slip in five letters). Anyone on the flight whose name
# agrees more loosely (``PART_VARIANT``) counts as a possible namesake and keeps the pair apart.
NAME_AGREES = 0.8


def name_keys(profile: Profile) -> frozenset[str]:
    """The folded surname and given names of a traveller (the parts of the name, when not given apart)."""
    if profile.name_parts is not None:
        return frozenset(key for part in profile.name_parts if (key := folded(part)))
    return frozenset(key for text in profile.names.texts for word in text.split() if (key := folded(word)))


def _could_be(left: Profile, right: Profile) -> bool:
    """Whether two travellers' names could be one name written twice (a namesake, or the same person)."""
    parts = parts_agreement(left.name_parts, right.name_parts)
    if parts is not None:
        return parts.weakest >= PART_VARIANT
    return bool(name_keys(left) & name_keys(right))


def _names_agree(parts: PartsAgreement | None) -> bool:
    return parts is not None and parts.weakest >= NAME_AGREES and parts.given_spelling >= SPELLING_FLOOR


def unique_on_flight(a: Profile, b: Profile, flight: str, others: Iterable[Profile]) -> Match | None:
    """The match of two travellers on ``flight`` whose name no other traveller there (``others``) could have."""
    if a.record_id == b.record_id or flight not in a.flights or flight not in b.flights:
        return None
    if a.source_format == b.source_format or contradiction(a, b):
        return None  # one feed lists a traveller once per flight: two of its records are two people
    parts = parts_agreement(a.name_parts, b.name_parts)
    if not _names_agree(parts) or parts is None:
        return None
    if any(_could_be(other, a) or _could_be(other, b) for other in others):
        return None
    left, right = pair_of(a.record_id, b.record_id)
    reasons = (f"same flight leg {flight}", *parts.accounts, "no other traveller on that flight has a name like it")
    return Match(left, right, "traveller", RULE, reasons)


@dataclass
class FlightNames:
    """Travellers per flight under each folded name part, and the matches this rule made."""

    groups: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    matched: set[tuple[str, str]] = field(default_factory=set)

    def add(self, profile: Profile) -> set[str]:
        """Index a traveller; returns the travellers whose decision may change (those with a related name)."""
        related = {profile.record_id}
        for flight in profile.flights:
            for key in name_keys(profile):
                group = self.groups.setdefault((flight, key), set())
                related |= group
                group.add(profile.record_id)
        return related

    def neighbours(self, profile: Profile, flight: str) -> set[str]:
        """The other travellers on ``flight`` who share a folded name part with ``profile``."""
        found: set[str] = set()
        for key in name_keys(profile):
            found |= self.groups.get((flight, key), set())
        found.discard(profile.record_id)
        return found

    def decide(self, related: set[str], profiles: dict[str, Profile]) -> tuple[list[Match], list[tuple[str, str]]]:
        """Re-decide every pair that touches ``related``: (matches to make, matched pairs to withdraw)."""
        made: dict[tuple[str, str], Match] = {}
        candidates: set[tuple[str, str]] = {pair for pair in self.matched if pair[0] in related or pair[1] in related}
        for record_id in sorted(related):
            profile = profiles[record_id]
            for flight in sorted(profile.flights):
                candidates.update(pair_of(record_id, other) for other in self.neighbours(profile, flight))
        for left, right in sorted(candidates):
            a, b = profiles[left], profiles[right]
            for flight in sorted(a.flights & b.flights):
                around = (self.neighbours(a, flight) | self.neighbours(b, flight)) - {left, right}
                match = unique_on_flight(a, b, flight, (profiles[other] for other in sorted(around)))
                if match is not None:
                    made[(left, right)] = match
                    break
        withdrawn = sorted(pair for pair in candidates if pair in self.matched and pair not in made)
        self.matched -= set(withdrawn)
        self.matched |= set(made)
        return list(made.values()), withdrawn
