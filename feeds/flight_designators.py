"""Flight designators (``UA0989``, ``TN506``, carrier + number) in one normal form for ids and joins."""

from __future__ import annotations

import re

DESIGNATOR = re.compile(r"^([A-Z0-9]{2}[A-Z]?)\s*(\d{1,4}[A-Z]?)$")
NUMBER = re.compile(r"^0*(\d{1,4})([A-Z]?)$")


def normalise_flight_number(number: str) -> str:
    """``0006`` -> ``6``; an operational suffix letter is kept (``123A``)."""
    value = number.strip().upper()
    match = NUMBER.match(value)
    if match is None:
        return value
    return str(int(match.group(1))) + match.group(2)


def split_designator(designator: str, carrier_hint: str = "") -> tuple[str, str]:
    """(carrier, flight number) from a designator such as ``UA0989``; the hint wins when given."""
    value = designator.strip().upper().replace(" ", "")
    hint = carrier_hint.strip().upper()
    if hint and value.startswith(hint) and NUMBER.match(value[len(hint) :]):
        return hint, normalise_flight_number(value[len(hint) :])
    if NUMBER.match(value):
        return hint, normalise_flight_number(value)
    # Two-character designators are the norm; try them first, then three-letter ICAO codes.
    for size in (2, 3):
        carrier, number = value[:size], value[size:]
        if NUMBER.match(number) and (size == 2 or carrier.isalpha()):
            return hint or carrier, normalise_flight_number(number)
    return hint, value
