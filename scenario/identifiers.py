"""Valid identifiers for generated entities: AWB, container, IMO, passport, phone, record locator.

Every function takes the ``random.Random`` it draws from, so a seed reproduces the same identifiers.
Check digits are computed by the published algorithms (python-stdnum where it has one).
"""

from __future__ import annotations

import random
import string
from functools import cache

import phonenumbers
from stdnum import imo as stdnum_imo
from stdnum import iso6346

LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I, as carriers print them


def awb_check_digit(serial7: str) -> str:
    """IATA air waybill: the eighth digit is the seven-digit serial number modulo 7."""
    return str(int(serial7) % 7)


def awb_number(rng: random.Random, prefix: str) -> str:
    """``PPP-SSSSSSSC``: carrier prefix, serial and mod-7 check digit."""
    serial = f"{rng.randrange(10**7):07d}"
    return f"{prefix}-{serial}{awb_check_digit(serial)}"


def is_valid_awb(awb: str) -> bool:
    digits = awb.replace("-", "")
    return len(digits) == 11 and digits.isdigit() and awb_check_digit(digits[3:10]) == digits[10]


def container_number(rng: random.Random, owner: str) -> str:
    """ISO 6346 container number: owner code + U + six digits + check digit."""
    body = f"{owner[:3]}U{rng.randrange(10**6):06d}"
    return body + str(iso6346.calc_check_digit(body))


def imo_number(rng: random.Random) -> str:
    """IMO ship identification number (seven digits, the last a weighted check digit)."""
    body = f"{rng.randrange(9_000_000, 9_999_999) // 10:06d}"
    return body + str(stdnum_imo.calc_check_digit(body))


def passport_number(rng: random.Random, country: str) -> str:
    """A passport number in the shape the issuing country uses (fictional numbers)."""
    if country in ("JP", "KR"):
        return rng.choice("TMR") + rng.choice("KZS") + f"{rng.randrange(10**7):07d}"
    if country == "CN":
        return "E" + f"{rng.randrange(10**8):08d}"
    if country in ("GB", "US", "AU", "RU"):
        return f"{rng.randrange(10**8, 10**9):09d}"
    if country == "HK":
        return "K" + f"{rng.randrange(10**8):08d}"
    return rng.choice(string.ascii_uppercase) + f"{rng.randrange(10**7):07d}"


@cache
def _mobile_example(country: str) -> tuple[int, str]:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number(country)
    if example is None:
        raise ValueError(f"no numbering plan for {country!r}")
    return int(example.country_code or 0), str(example.national_number)


def mobile_number(rng: random.Random, country: str) -> str:
    """A mobile number valid for the country's numbering plan, in E.164 form."""
    country_code, national = _mobile_example(country)
    keep = max(2, len(national) - 6)  # the operator prefix decides validity; randomise the subscriber part
    for _ in range(20):
        candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
        number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(candidate))
        if phonenumbers.is_valid_number(number):
            return f"+{country_code}{candidate}"
    return f"+{country_code}{national}"


def record_locator(rng: random.Random) -> str:
    return "".join(rng.choice(LOCATOR_ALPHABET) for _ in range(6))


def eori_number(rng: random.Random, country: str) -> str:
    """An EORI-style trader number: country code and twelve digits."""
    return f"{country}{rng.randrange(10**11, 10**12):012d}"


def masked_card(rng: random.Random) -> tuple[str, str]:
    """(card type, masked number) the way PNRs carry them."""
    kind = rng.choice(("VI", "CA", "AX", "JC"))
    return kind, "XXXXXXXXXXXX" + f"{rng.randrange(10**4):04d}"
