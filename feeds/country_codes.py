"""Country codes as found in travel and trade messages, normalised to ISO 3166-1 alpha-2."""

from __future__ import annotations

from functools import lru_cache

import pycountry

# MRZ codes (ICAO Doc 9303) that are not ISO 3166 alpha-3.
MRZ_SPECIAL_CODES = {"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "RKS": "XK"}


@lru_cache(maxsize=1024)
def to_alpha2(code: str | None) -> str | None:
    """``USA``/``us``/``D`` -> ``US``/``US``/``DE``; ``None`` when the code is not a country."""
    if not code:
        return None
    value = code.strip().upper().rstrip("<")
    if value in MRZ_SPECIAL_CODES:
        return MRZ_SPECIAL_CODES[value]
    if len(value) == 2:
        found = pycountry.countries.get(alpha_2=value)
    elif len(value) == 3 and value.isalpha():
        found = pycountry.countries.get(alpha_3=value)
    else:
        return None
    return str(found.alpha_2) if found is not None else None
