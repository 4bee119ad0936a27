"""Check digits of the identifiers carried in travel and cargo messages."""

from __future__ import annotations

import re

MRZ_WEIGHTS = (7, 3, 1)
AWB_PATTERN = re.compile(r"^(\d{3})-?(\d{8})$")


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 check digit: digits as is, A-Z as 10-35, filler ``<`` as 0, weights 7-3-1."""
    total = 0
    for position, char in enumerate(field.upper()):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        else:
            value = 0
        total += value * MRZ_WEIGHTS[position % 3]
    return total % 10


def mrz_document_number_valid(number: str) -> bool | None:
    """For a document number given with its MRZ check digit (10 characters), whether it matches.

    ``None`` when no check digit is present (PAXLST and PNR carry the bare 9-character number).
    """
    value = number.strip().upper()
    if len(value) != 10 or not value[-1].isdigit() or not value[:9].replace("<", "").isalnum():
        return None
    return mrz_check_digit(value[:9]) == int(value[-1])


def awb_check_digit_valid(awb: str) -> bool:
    """IATA air waybill: the last digit of the 8-digit serial is the first seven modulo 7."""
    match = AWB_PATTERN.match(awb.strip())
    if match is None:
        return False
    serial = match.group(2)
    return int(serial[:7]) % 7 == int(serial[7])
