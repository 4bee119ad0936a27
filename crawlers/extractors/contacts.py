"""Phones and e-mail addresses found in free text, normalised so they join with passenger and cargo data."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d[\d \t().-]{5,20}\d(?!\d)")
_MAX_SCAN = 200_000  # characters: bounds the cost of hostile, huge pages


def find_emails(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _EMAIL.finditer(text[:_MAX_SCAN]):
        seen.setdefault(match.group(0).lower().rstrip("."), None)
    return list(seen)


@lru_cache(maxsize=8192)
def _international_e164(candidate: str) -> str | None:
    """A "+"-prefixed candidate as E.164 when valid (cached: sellers repeat their numbers across pages)."""
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def find_phones(text: str, default_region: str | None = None) -> list[str]:
    """International numbers (``+852 9123 4567``) as E.164; national ones only with a default region."""
    seen: dict[str, None] = {}
    if default_region is None:
        # Only "+"-prefixed numbers can be read without a region: test just those candidates rather than
        # letting the matcher try every digit run (prices, lot numbers) on the page.
        for candidate in _INTERNATIONAL.finditer(text[:_MAX_SCAN]):
            e164 = _international_e164(candidate.group(0))
            if e164 is not None:
                seen.setdefault(e164, None)
        return list(seen)
    matcher = phonenumbers.PhoneNumberMatcher(text[:_MAX_SCAN], default_region, leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        seen.setdefault(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164), None)
    return list(seen)
