"""Normalised join keys: the values two records must agree on to meet at one graph node.

Each ``*_key`` returns the normalised value or ``None`` when the input cannot be a key (never raises),
and ``shared_node_id`` turns a kind and a key into the node id.
"""

from __future__ import annotations

import re

import phonenumbers
from normality import normalize

from schemas.records import Address, make_id

# Legal-form words dropped from organisation names so "ACME TRADING CO., LTD" meets "Acme Trading Co Ltd".
_LEGAL_FORMS = frozenset(
    {
        "LTD",
        "LIMITED",
        "CO",
        "COMPANY",
        "CORP",
        "INC",
        "INCORPORATED",
        "LLC",
        "GMBH",
        "AG",
        "SA",
        "SAS",
        "SARL",
        "BV",
        "NV",
        "PLC",
        "PTE",
        "PTY",
        "OOO",
        "ZAO",
        "OAO",
        "JSC",
        "KK",
        "KABUSHIKI",
        "KAISHA",
        "SRL",
        "SPA",
    }
)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def shared_node_id(kind: str, key: str) -> str:
    return make_id(kind, key)


def phone_key(raw: str, default_region: str | None = None) -> str | None:
    """E.164 when the number parses, else its digits (with the + kept), else None."""
    text = raw.strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    # Cargo and PNR feeds often write international numbers without the plus (85291234567): a number
    # that is valid with a plus and not as a national number of the region is read as international.
    readings = [(text, default_region)]
    if not text.startswith("+") and not digits.startswith("0"):
        readings.append(("+" + digits, None))
    parsed = []
    for candidate, region in readings:
        try:
            parsed.append(phonenumbers.parse(candidate, region))
        except phonenumbers.NumberParseException:
            continue
    valid = [number for number in parsed if phonenumbers.is_valid_number(number)]
    possible = [number for number in parsed[:1] if phonenumbers.is_possible_number(number)]
    for number in valid[:1] or possible:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(digits) < 6:
        return None
    return ("+" if text.startswith("+") else "") + digits


def email_key(raw: str) -> str | None:
    text = raw.strip().lower()
    return text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else None


def org_name_key(raw: str | None) -> str | None:
    """Upper-case ASCII words without punctuation or legal forms."""
    if not raw:
        return None
    text = normalize(raw, ascii=True)
    if not text:
        return None
    words = [word for word in text.upper().split() if word not in _LEGAL_FORMS]
    return " ".join(words) or None


def address_key(address: Address | None) -> str | None:
    """Lines, city, postcode and country folded to one comparable string; None when too thin."""
    if address is None:
        return None
    parts = [*address.lines, address.city or "", address.postcode or "", address.country or ""]
    if not address.lines and address.text:
        parts = [address.text, address.country or ""]
    text = normalize(" ".join(part for part in parts if part), ascii=True)
    if not text or len(text.split()) < 3:
        return None  # a bare city or country joins everyone living there
    return text.upper()


def compact_key(raw: str | None, *, min_length: int = 4) -> str | None:
    """Upper-case letters and digits only (container, document, card and AWB numbers)."""
    if not raw:
        return None
    text = _NON_ALNUM.sub("", raw.upper())
    return text if len(text) >= min_length else None


def imo_key(raw: str | None) -> str | None:
    digits = re.sub(r"\D", "", raw or "")
    return digits if len(digits) == 7 else None


def flight_number_key(carrier: str | None, flight_number: str | None) -> str | None:
    """``CX500`` from (CX, 500), (CX, 0500) or (CX, CX500)."""
    if not carrier or not flight_number:
        return None
    airline = carrier.strip().upper()
    number = flight_number.strip().upper()
    if number.startswith(airline) and number[len(airline) :].isdigit():
        number = number[len(airline) :]
    return f"{airline}{number.lstrip('0') or '0'}"


def flight_key(carrier: str | None, flight_number: str | None, day: object | None) -> str | None:
    key = flight_number_key(carrier, flight_number)
    return f"{key}/{day or ''}" if key else None
