"""Customs identifiers: recognise, validate (check digits) and normalise them, on fields and in free text.

Each recogniser turns a raw value into a ``schemas.records.Identifier`` with a canonical ``value``
(so that the link graph joins the same container, vessel, waybill, passport, account, phone or
mailbox seen in different records) and ``valid`` telling whether the check digits hold.

Structured fields are trusted to hold the identifier they are named after, so an invalid value is
kept (``valid=False``: a data-quality lead in itself). In free text only valid matches are kept,
because a failed check digit there is far more often a random number than a typo.

The stage is :func:`extract_identifiers`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, get_args, get_origin

import phonenumbers
from pydantic import BaseModel
from stdnum import iban as stdnum_iban
from stdnum import imo as stdnum_imo
from stdnum import iso6346 as stdnum_iso6346

from schemas.records import TEXT, Identifier, Record, TravelDocument

CONTAINER = "container"
IMO = "imo"
AWB = "awb"
PASSPORT = "passport"
MRZ = "mrz"
HS_CODE = "hs_code"
IBAN = "iban"
PHONE = "phone"
EMAIL = "email"

# HS chapter 77 is reserved for future use; 98 and 99 are national chapters, not part of the HS.
HS_VALID_CHAPTERS = frozenset(range(1, 98)) - {77}

_CONTAINER_RE = re.compile(r"\b([A-Z]{3}[UJZ])\s?(\d{6})\s?-?\s?(\d)\b")
_IMO_RE = re.compile(r"\bIMO(?:\s*(?:No\.?|Number|#|:))?\s*[:.]?\s*(\d{7})\b", re.IGNORECASE)
_AWB_RE = re.compile(r"(?<![\d-])(\d{3})[\s-]?(\d{4})\s?(\d{4})(?![\d-])")
_AWB_CONTEXT_RE = re.compile(r"\b(?:AWB|MAWB|HAWB|air\s*waybill|waybill)\b", re.IGNORECASE)
_HS_CONTEXT_RE = re.compile(
    r"\b(?:HS|HTS|tariff|commodity)(?:\s*(?:code|no\.?|number|heading))?\s*[:#]?\s*"
    r"(\d{4}(?:[.\s]?\d{2}){0,3})\b",
    re.IGNORECASE,
)
_IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?)\b")
_EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_MRZ_LINE1_RE = re.compile(r"P[A-Z<][A-Z<]{3}[A-Z<]{39}")
_MRZ_LINE2_RE = re.compile(r"[A-Z0-9<]{9}[0-9<][A-Z<]{3}\d{6}[0-9<][MFX<]\d{6}[0-9<][A-Z0-9<]{14}[0-9<]\d")
_MRZ_WEIGHTS = (7, 3, 1)


@dataclass(frozen=True)
class Found:
    """One identifier found, with where it sits in its text (for free-text hits)."""

    identifier: Identifier
    start: int = 0
    end: int = 0


# ---------------------------------------------------------------------------------------------
# One recogniser per scheme: raw value -> Identifier (or None when the value is not that shape)


def container_number(raw: str, source_field: str | None = None) -> Identifier | None:
    """ISO 6346 freight container number: owner code, category, serial and check digit."""
    compact = re.sub(r"[\s-]", "", raw).upper()
    if not re.fullmatch(r"[A-Z]{3}[UJZ]\d{7}", compact):
        return None
    return Identifier(
        scheme=CONTAINER, value=compact, valid=bool(stdnum_iso6346.is_valid(compact)), source_field=source_field
    )


def imo_number(raw: str, source_field: str | None = None) -> Identifier | None:
    """IMO ship identification number (7 digits, weighted check digit)."""
    digits = re.sub(r"(?i)^\s*IMO\s*(?:No\.?|Number|#|:)?\s*", "", raw.strip())
    digits = re.sub(r"\s", "", digits)
    if not re.fullmatch(r"\d{7}", digits):
        return None
    return Identifier(scheme=IMO, value=digits, valid=bool(stdnum_imo.is_valid(digits)), source_field=source_field)


def air_waybill(raw: str, source_field: str | None = None) -> Identifier | None:
    """IATA air waybill: 3-digit airline prefix, 7-digit serial and a check digit (serial mod 7)."""
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"\d{11}", digits):
        return None
    serial, check = digits[3:10], int(digits[10])
    return Identifier(
        scheme=AWB,
        value=f"{digits[:3]}-{digits[3:]}",
        valid=int(serial) % 7 == check,
        source_field=source_field,
    )


def hs_code(raw: str, source_field: str | None = None) -> Identifier | None:
    """Harmonized System code: 4, 6, 8 or 10 digits, in a chapter the HS defines (01-97, not 77)."""
    digits = re.sub(r"[\s.]", "", raw)
    if not re.fullmatch(r"\d{4}(?:\d{2}){0,3}", digits):
        return None
    return Identifier(
        scheme=HS_CODE, value=digits, valid=int(digits[:2]) in HS_VALID_CHAPTERS, source_field=source_field
    )


def iban(raw: str, source_field: str | None = None) -> Identifier | None:
    """International bank account number (ISO 13616, mod-97 check and country length)."""
    compact = re.sub(r"[\s-]", "", raw).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", compact):
        return None
    return Identifier(scheme=IBAN, value=compact, valid=bool(stdnum_iban.is_valid(compact)), source_field=source_field)


def phone_number(raw: str, default_region: str, source_field: str | None = None) -> Identifier | None:
    """A telephone number in E.164 form; national numbers are read in ``default_region``."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Identifier(
        scheme=PHONE, value=e164, valid=bool(phonenumbers.is_valid_number(parsed)), source_field=source_field
    )


def email_address(raw: str, source_field: str | None = None) -> Identifier | None:
    """An e-mail address, lower-cased (mailbox names are case-insensitive in practice)."""
    value = raw.strip().strip("<>").lower()
    if not re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", value):
        return None
    return Identifier(scheme=EMAIL, value=value, valid=True, source_field=source_field)


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 check digit: weights 7-3-1 over digits, letters (A=10..Z=35) and fillers (<=0)."""
    total = 0
    for position, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            value = 0
        total += value * _MRZ_WEIGHTS[position % 3]
    return total % 10


def _check_ok(field: str, digit: str) -> bool:
    if digit == "<":  # an optional field left empty carries a filler instead of a digit
        return field.strip("<") == ""
    return digit.isdigit() and mrz_check_digit(field) == int(digit)


@dataclass(frozen=True)
class MrzTd3:
    """The data of a TD3 (passport) machine-readable zone and whether every check digit holds."""

    document_number: str
    issuing_state: str
    surname: str
    given_names: str
    nationality: str
    date_of_birth: str  # YYMMDD as printed
    sex: str
    expiry: str  # YYMMDD
    checks: dict[str, bool]

    @property
    def valid(self) -> bool:
        return all(self.checks.values())


def parse_mrz_td3(line1: str, line2: str) -> MrzTd3 | None:
    """Read the two 44-character lines of a passport MRZ; ``None`` when they are not TD3-shaped."""
    line1, line2 = line1.strip().upper(), line2.strip().upper()
    if len(line1) != 44 or len(line2) != 44 or not line1.startswith("P"):
        return None
    if not _MRZ_LINE2_RE.fullmatch(line2):
        return None
    names = line1[5:].split("<<", 1)
    surname = names[0].replace("<", " ").strip()
    given = names[1].replace("<", " ").strip() if len(names) > 1 else ""
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    checks = {
        "document_number": _check_ok(line2[0:9], line2[9]),
        "date_of_birth": _check_ok(line2[13:19], line2[19]),
        "expiry": _check_ok(line2[21:27], line2[27]),
        "personal_number": _check_ok(line2[28:42], line2[42]),
        "composite": _check_ok(composite, line2[43]),
    }
    return MrzTd3(
        document_number=line2[0:9].replace("<", ""),
        issuing_state=line1[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        nationality=line2[10:13].replace("<", ""),
        date_of_birth=line2[13:19],
        sex=line2[20],
        expiry=line2[21:27],
        checks=checks,
    )


# ---------------------------------------------------------------------------------------------
# Free text


def find_in_text(text: str, default_region: str, source_field: str | None = None) -> list[Found]:
    """Every identifier in a free text, with its character offsets. Only valid identifiers are kept."""
    found: list[Found] = []
    upper = text.upper()

    for match in _CONTAINER_RE.finditer(upper):
        ident = container_number("".join(match.groups()), source_field)
        if ident is not None and ident.valid:
            found.append(Found(ident, match.start(), match.end()))
    for match in _IMO_RE.finditer(text):
        ident = imo_number(match.group(1), source_field)
        if ident is not None and ident.valid:
            found.append(Found(ident, match.start(), match.end()))
    # An 11-digit number only counts as a waybill near a waybill keyword; otherwise phone numbers,
    # invoice numbers and the like would pass the weak mod-7 check one time in seven.
    if _AWB_CONTEXT_RE.search(text):
        for match in _AWB_RE.finditer(text):
            ident = air_waybill("".join(match.groups()), source_field)
            if ident is not None and ident.valid:
                found.append(Found(ident, match.start(), match.end()))
    for match in _HS_CONTEXT_RE.finditer(text):
        ident = hs_code(match.group(1), source_field)
        if ident is not None and ident.valid:
            found.append(Found(ident, match.start(1), match.end(1)))
    for match in _IBAN_RE.finditer(upper):
        ident = iban(match.group(1), source_field)
        if ident is not None and ident.valid:
            found.append(Found(ident, match.start(), match.end()))
    for match in _EMAIL_RE.finditer(text):
        ident = email_address(match.group(0), source_field)
        if ident is not None:
            found.append(Found(ident, match.start(), match.end()))
    found.extend(_mrz_in_text(upper, source_field))
    taken = [(item.start, item.end) for item in found]
    for phone in phonenumbers.PhoneNumberMatcher(text, default_region):
        if any(start < phone.end and phone.start < end for start, end in taken):
            continue  # digits already explained by a stronger identifier (an IBAN, a waybill...)
        e164 = phonenumbers.format_number(phone.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(Found(Identifier(scheme=PHONE, value=e164, source_field=source_field), phone.start, phone.end))
    found.sort(key=lambda item: (item.start, item.identifier.scheme))
    return found


def _mrz_in_text(upper: str, source_field: str | None) -> Iterator[Found]:
    lines = [line.strip().replace(" ", "") for line in upper.splitlines()]
    offsets = _line_offsets(upper)
    for index in range(len(lines) - 1):
        if not _MRZ_LINE1_RE.fullmatch(lines[index]):
            continue
        mrz = parse_mrz_td3(lines[index], lines[index + 1])
        if mrz is None:
            continue
        start, end = offsets[index], offsets[index + 1] + len(upper.splitlines()[index + 1])
        yield Found(
            Identifier(scheme=MRZ, value=lines[index + 1], valid=mrz.valid, source_field=source_field), start, end
        )
        yield Found(
            Identifier(scheme=PASSPORT, value=mrz.document_number, valid=mrz.valid, source_field=source_field),
            start,
            end,
        )


def _line_offsets(text: str) -> list[int]:
    offsets, position = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append(position)
        position += len(line)
    return offsets


# ---------------------------------------------------------------------------------------------
# The stage

# Structured fields whose name says which identifier they hold.
_FIELD_RECOGNISERS: dict[str, Callable[[str, str | None], Identifier | None]] = {
    "containers": container_number,
    "vessel_imo": imo_number,
    "hs_code": hs_code,
    "emails": email_address,
}
_PHONE_FIELDS = frozenset({"phones"})
_WAYBILL_FIELDS = frozenset({"transport_document", "master_document"})


@lru_cache(maxsize=64)
def _text_fields(model_type: type[BaseModel]) -> frozenset[str]:
    """Fields declared as free text (``Text``, ``Text | None``, ``list[Text]``) in the record schema."""
    return frozenset(
        name
        for name, info in model_type.model_fields.items()
        if TEXT in info.metadata or _mentions_text(info.annotation)
    )


def _mentions_text(annotation: object) -> bool:
    if get_origin(annotation) is Annotated:
        return TEXT in get_args(annotation)[1:]
    return any(_mentions_text(arg) for arg in get_args(annotation))


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _field_identifiers(model: BaseModel, prefix: str, default_region: str) -> Iterator[Identifier]:
    """Identifiers from the structured fields of a record or of an embedded value (goods, documents)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        recogniser = _FIELD_RECOGNISERS.get(name)
        if recogniser is not None:
            for raw in _strings(value):
                ident = recogniser(raw, path)
                if ident is not None:
                    yield ident
        elif name in _PHONE_FIELDS:
            for raw in _strings(value):
                ident = phone_number(raw, default_region, path)
                if ident is not None:
                    yield ident
        elif name in _WAYBILL_FIELDS:
            # A transport document is a waybill only when it has the waybill shape (a B/L is not).
            for raw in _strings(value):
                ident = air_waybill(raw, path)
                if ident is not None:
                    yield ident
        elif name in _text_fields(type(model)):
            for raw in _strings(value):
                yield from (item.identifier for item in find_in_text(raw, default_region, path))
        elif isinstance(value, TravelDocument):
            yield from _document_identifiers(value, path)
        elif isinstance(value, BaseModel):
            yield from _field_identifiers(value, f"{path}.", default_region)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                if isinstance(item, TravelDocument):
                    yield from _document_identifiers(item, f"{path}[{position}]")
                elif isinstance(item, BaseModel):
                    yield from _field_identifiers(item, f"{path}[{position}].", default_region)


def _document_identifiers(document: TravelDocument, path: str) -> Iterator[Identifier]:
    number = re.sub(r"[\s<-]", "", document.number).upper()
    if number:
        valid = document.check_digits_valid if document.check_digits_valid is not None else True
        scheme = PASSPORT if (document.doc_type or "P").upper().startswith("P") else "travel_document"
        yield Identifier(scheme=scheme, value=number, valid=valid, source_field=f"{path}.number")


def identifiers_of(record: Record, default_region: str = "US") -> list[Identifier]:
    """All identifiers of a record, de-duplicated on (scheme, value, field), in a stable order."""
    seen: set[tuple[str, str, str | None]] = set()
    result: list[Identifier] = []
    for ident in _field_identifiers(record, "", default_region):
        key = (ident.scheme, ident.value, ident.source_field)
        if key not in seen:
            seen.add(key)
            result.append(ident)
    return result


def extract_identifiers(record: Record, default_region: str) -> Record:
    """The enrichment stage: a copy of ``record`` with ``identifiers`` filled (earlier ones are kept).

    ``default_region`` (ISO 3166 alpha-2, the ``phone_region`` setting) reads national phone numbers.
    """
    kept = {(ident.scheme, ident.value, ident.source_field) for ident in record.identifiers}
    new = [
        ident
        for ident in identifiers_of(record, default_region)
        if (ident.scheme, ident.value, ident.source_field) not in kept
    ]
    if not new:
        return record
    return record.model_copy(update={"identifiers": [*record.identifiers, *new]})
