"""Blocking: the keys under which two profiles may be compared at all.

Two records are compared only when they share a key; a key is a kind-scoped normalised value (a
document number, a date of birth, a phone...). Every rule in ``resolution.rules`` needs at least one
of these keys in common, so blocking loses no match a rule could make.
"""

from __future__ import annotations

from resolution.profiles import Profile


def blocking_keys(profile: Profile) -> frozenset[str]:
    kind = profile.kind
    keys: set[str] = set()
    if kind == "traveller":
        keys.update(f"document:{country}:{number}" for country, number in profile.documents)
        # The number and every number with one character left out: two numbers one slip apart (a wrong,
        # missing, extra, swapped or moved character) share one of these.
        keys.update(
            f"document~{country}:{variant}"
            for country, number in profile.documents
            for variant in (number, *(number[:i] + number[i + 1 :] for i in range(len(number))))
        )
        if profile.birth_date is not None:
            keys.add(f"born:{profile.birth_date.isoformat()}")
        keys.update(f"booking:{value}" for value in profile.locators)
    elif kind == "party":
        keys.update(f"registration:{value}" for value in profile.registrations)
        if profile.address:
            keys.add(f"address:{profile.address}")
    elif kind == "consignment":
        keys.update(f"document:{value}" for value in profile.transport_documents)
        keys.update(f"reference:{value}" for value in profile.references)
        keys.update(f"sailing:{value}" for value in profile.sailings)
    elif kind == "flight" and profile.flight_key:
        keys.add(f"flight:{profile.flight_key}")
    if kind in ("traveller", "party"):
        keys.update(f"phone:{value}" for value in profile.phones)
        keys.update(f"email:{value}" for value in profile.emails)
    return frozenset(f"{kind}/{key}" for key in keys)
