"""UN/EDIFACT PNRGOV (passenger name records pushed to governments) -> Booking, Passenger, FlightLeg.

A message names the flight it is pushed for (header TVL) and holds one group per PNR, starting at SRC:
the record locator (RCI), booking office (ORG), contacts (IFT, ADD), then one TIF group per traveller
(documents in SSR DOCS/DOCO/DOCA, ticket, fare, form of payment FOP), then the itinerary (TVL groups with
seats SSR SEAT/SSD and bags TBD per traveller), and finally the PNR history (ABI/SAC/LTS), which is
not kept.

Data protection: sensitive SSRs (special meals, health and assistance codes) and free-text remarks that
reveal such data are dropped here and only counted in ``Booking.sensitive_removed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from feeds.airport_codes import airport_code
from feeds.base import MessageContext, ParseError
from feeds.country_codes import to_alpha2
from feeds.edifact_syntax import Segment, read_interchange, sniff_edifact
from feeds.flight_designators import normalise_flight_number
from feeds.message_dates import parse_ddmmyy, parse_ddmonyy, with_time
from feeds.record_assembly import IdAllocator, Provenance, clean, merge_by_id, part_rejection
from feeds.sensitive import is_sensitive_code, is_sensitive_text
from schemas.records import (
    Address,
    Booking,
    FlightLeg,
    Identifier,
    Passenger,
    Record,
    TravelDocument,
    make_id,
)

FORMAT = "pnrgov"

TITLES_JOINED = ("MSTR", "MISS", "MRS", "MR")  # written straight after the given name: JOHNMR
TITLES_SPACED = ("MSTR", "MISS", "MRS", "MR", "MS", "DR", "PROF", "REV")
GDS_CODE = re.compile(r"^1[A-Z]$")  # Amadeus 1A, Sabre 1S, Galileo 1G ... are systems, not carriers
LOCATOR = re.compile(r"^[A-Z0-9]+")
SEAT = re.compile(r"^0*(\d{1,3})([A-Z])$")
CONTACT = re.compile(r"\bCTC\s?([A-Z])\b\s*(.*)", re.IGNORECASE)
PHONE_DIGITS = re.compile(r"\+?\d[\d\s\-/().]{4,}\d")
CARD_DIGITS = re.compile(r"\d{11,}")
DOCUMENT_SSRS = frozenset({"DOCS", "DOCO", "DOCA"})
SEAT_SSRS = frozenset({"SEAT", "NSST", "SMST", "RQST", "NSSA", "NSSW", "SMSA", "SMSW", "NSSB"})
REMARK_SSRS = frozenset({"OTHS", "CKIN", "PSPT", "FQTV"})  # free text kept as booking remarks


@dataclass
class _Traveller:
    ref: str
    surname: str | None
    given_names: str | None
    name_key: str
    role: str
    documents: list[TravelDocument] = field(default_factory=list)
    nationality: str | None = None
    date_of_birth: date | None = None
    gender: str | None = None
    address: Address | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    seats: dict[int, str] = field(default_factory=dict)
    bags: int | None = None


@dataclass
class _Leg:
    marketing_carrier: str
    marketing_number: str
    departure_airport: str
    arrival_airport: str
    departure_time: datetime | None
    arrival_time: datetime | None
    flight_date: date | None
    operating_carrier: str | None = None
    operating_number: str | None = None


@dataclass
class _PendingDocument:
    code: str
    fields: list[str]
    candidate: _Traveller | None
    ref: str


@dataclass
class _Pnr:
    locators: list[tuple[str, str]] = field(default_factory=list)
    created_at: datetime | None = None
    last_transaction: datetime | None = None
    travel_agency: str | None = None
    travellers: list[_Traveller] = field(default_factory=list)
    legs: list[_Leg] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    sensitive_removed: int = 0
    payment_codes: list[str] = field(default_factory=list)
    payment_card: str | None = None
    payer_name: str | None = None
    payment_amounts: list[float] = field(default_factory=list)
    ticket_totals: list[tuple[float, str]] = field(default_factory=list)
    pending_documents: list[_PendingDocument] = field(default_factory=list)
    pending_infants: list[tuple[str, str, date | None]] = field(default_factory=list)
    # Lookups kept beside ``travellers`` so that finding one is constant time (messages list thousands).
    by_name_and_role: dict[tuple[str, str], _Traveller] = field(default_factory=dict)
    by_ref: dict[str, _Traveller] = field(default_factory=dict)

    def add_traveller(self, traveller: _Traveller) -> None:
        self.travellers.append(traveller)
        self.by_name_and_role.setdefault((traveller.name_key, traveller.role), traveller)
        self.by_ref.setdefault(traveller.ref, traveller)  # "" too: DOCO/DOCA without a reference take the first such


def sniff(payload: bytes) -> bool:
    return sniff_edifact(payload, b"PNRGOV")


# ---------------------------------------------------------------------------------------------
# Small value readers


def _strip_title(given: str) -> str:
    value = " ".join(given.split())
    for title in TITLES_SPACED:
        if value.endswith(" " + title):
            return value[: -len(title) - 1]
    for title in TITLES_JOINED:
        if value.endswith(title) and len(value) - len(title) >= 2:
            return value[: -len(title)]
    return value


def _name_key(surname: str, given: str) -> str:
    return (surname + "/" + _strip_title(given)).replace(" ", "").upper()


def _seat(value: str) -> str | None:
    match = SEAT.match(value.strip().upper())
    return f"{int(match.group(1))}{match.group(2)}" if match else None


def _amount(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if number >= 0 else None


def _phone(text: str) -> str | None:
    match = PHONE_DIGITS.search(text)
    if match is None:
        return None
    digits = re.sub(r"[^\d+]", "", match.group(0))
    return digits if len(digits.lstrip("+")) >= 6 else None


def _email(text: str) -> str | None:
    """IATA contact encoding: ``//`` is ``@``, ``..`` is ``_``, ``./`` is ``-``."""
    value = text.strip().split(" ")[0].replace("//", "@").replace("..", "_").replace("./", "-").lower()
    return value if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value) else None


def _masked_card(number: str) -> str:
    """Never keep a full card number: anything longer than a BIN + last four is masked."""
    return CARD_DIGITS.sub(lambda m: "X" * (len(m.group(0)) - 4) + m.group(0)[-4:], number.strip())


def _contact(text: str) -> tuple[str, str] | None:
    """(``phone`` | ``email``, value) from an IATA contact element such as ``CTCE JOHN//MAIL.COM``."""
    match = CONTACT.search(text)
    if match is None:
        return None
    kind, rest = match.group(1).upper(), match.group(2)
    if kind == "E":
        email = _email(rest)
        return ("email", email) if email else None
    phone = _phone(rest)
    return ("phone", phone) if phone else None


def _add_unique(values: list[str], value: str | None) -> None:
    """Append once; phone numbers compare without their ``+`` (a bare ``+`` may be a separator)."""
    if value and value.lstrip("+") not in {v.lstrip("+") for v in values}:
        values.append(value)


# ---------------------------------------------------------------------------------------------
# Segment handlers


def _read_locators(segment: Segment, pnr: _Pnr, reference_year: int) -> None:
    for index, element in enumerate(segment.elements):
        airline = element[0].strip() if element else ""
        # Only the leading alphanumerics: a mistyped terminator can glue the next segment onto it.
        locator_match = LOCATOR.match(element[1].strip().upper()) if len(element) > 1 else None
        locator = locator_match.group(0) if locator_match else ""
        if airline and locator:
            pnr.locators.append((airline, locator))
        if index == 0 and pnr.created_at is None:
            digits = [part.strip() for part in element[2:] if part.strip().isdigit()]
            day = next((parse_ddmmyy(d, reference_year) for d in digits if len(d) == 6), None)
            time = next((d for d in digits if len(d) == 4), "0000")
            pnr.created_at = with_time(day, time)


def _read_leg(segment: Segment, reference_year: int) -> _Leg | None:
    departure, arrival = airport_code(segment.component(1)), airport_code(segment.component(2))
    number = segment.component(4, 0)
    carrier = segment.component(3, 0).upper()
    if departure is None or arrival is None or not number or not carrier:
        return None  # hotel, car and other non-air segments
    day = parse_ddmmyy(segment.component(0, 0), reference_year)
    third, fourth = segment.component(0, 2), segment.component(0, 3)
    arrival_day = parse_ddmmyy(third, reference_year) if len(third) == 6 else day
    arrival_clock = fourth if len(fourth) == 4 else (third if len(third) == 4 else "")
    departure_time = with_time(day, segment.component(0, 1))
    arrival_time = with_time(arrival_day, arrival_clock)
    if departure_time and arrival_time and arrival_time < departure_time and arrival_day == day:
        arrival_time += timedelta(days=1)  # overnight flight with no arrival date given
    operating = segment.component(3, 1).upper() or None
    return _Leg(
        marketing_carrier=carrier,
        marketing_number=normalise_flight_number(number),
        departure_airport=departure,
        arrival_airport=arrival,
        departure_time=departure_time,
        arrival_time=arrival_time,
        flight_date=day,
        operating_carrier=operating if operating and operating != carrier else None,
    )


def _traveller_from_tif(segment: Segment) -> _Traveller:
    surname = clean(segment.component(0, 0)) or ""
    given_raw = clean(segment.component(1, 0)) or ""
    passenger_type = segment.component(1, 1).upper()
    return _Traveller(
        ref=segment.component(1, 2),
        surname=surname or None,
        given_names=_strip_title(given_raw) or None,
        name_key=_name_key(surname, given_raw),
        role="infant" if passenger_type in ("IN", "INF") else "passenger",
    )


def _find_traveller(pnr: _Pnr, candidate: _Traveller) -> _Traveller | None:
    found = pnr.by_name_and_role.get((candidate.name_key, candidate.role))
    if found is not None or candidate.name_key.strip("/"):
        return found
    return pnr.by_ref.get(candidate.ref) if candidate.ref else None


def _ssr(segment: Segment, pnr: _Pnr, traveller: _Traveller | None, leg_index: int | None) -> None:
    code = segment.component(0, 0).upper()
    if is_sensitive_code(code):
        pnr.sensitive_removed += 1
        return
    free_text = segment.component(0, 8)
    refs = [segment.component(i, 2) for i in range(1, len(segment.elements))]
    if code in DOCUMENT_SSRS:
        text = free_text.strip()
        fields = (text if text.startswith("/") else "/" + text).split("/")
        pnr.pending_documents.append(_PendingDocument(code, fields, traveller, refs[0] if refs else ""))
    elif code == "INFT":
        parts = [p.strip() for p in free_text.split("/")]
        if len(parts) >= 2 and parts[0]:
            pnr.pending_infants.append(
                (parts[0], parts[1], None if len(parts) < 3 else parse_ddmonyy(parts[2], 2000, past=True))
            )
    elif code in SEAT_SSRS and leg_index is not None:
        for index in range(1, len(segment.elements)):
            seat, ref = _seat(segment.component(index, 0)), segment.component(index, 2)
            target = (pnr.by_ref.get(ref) if ref else None) or traveller
            if seat and target is not None:
                target.seats.setdefault(leg_index, seat)
    elif code.startswith("CTC"):
        contact = _contact(f"{code} {free_text}")
        if contact:
            _add_unique(pnr.emails if contact[0] == "email" else pnr.phones, contact[1])
    elif code in REMARK_SSRS and free_text.strip():
        _remark(pnr, f"{code} {free_text.strip()}")


def _remark(pnr: _Pnr, text: str) -> None:
    value = clean(text)
    if not value:
        return
    if is_sensitive_text(value):
        pnr.sensitive_removed += 1
    elif value not in pnr.remarks:
        pnr.remarks.append(value)


def _free_text(segment: Segment, pnr: _Pnr, traveller: _Traveller | None) -> None:
    qualifier = segment.component(0, 1)
    texts = [" ".join(p.strip() for p in element if p.strip()) for element in segment.elements[1:]]
    if qualifier == "43":  # name, address and phone of the payer
        if texts and texts[0] and pnr.payer_name is None:
            pnr.payer_name = texts[0]
        if len(texts) >= 2 and texts[1] and Address(text=texts[1]) not in pnr.addresses:
            pnr.addresses.append(Address(text=texts[1]))
        for text in texts[2:]:
            _add_unique(pnr.phones, _phone(text))
        return
    if qualifier not in ("28", "3", ""):
        return  # fare calculation (15), blank fields and the like
    for text in texts:
        contact = _contact(text)
        if contact is not None:
            kind, value = contact
            if traveller is not None:
                _add_unique(traveller.emails if kind == "email" else traveller.phones, value)
            _add_unique(pnr.emails if kind == "email" else pnr.phones, value)
        elif text:
            _remark(pnr, text)


def _address(segment: Segment, pnr: _Pnr, traveller: _Traveller | None) -> None:
    parts = [p.strip() for p in segment.element(1)] + [""] * 8

    def part(index: int) -> str:
        return parts[index]

    phone_or_postcode = part(7)
    postcode = part(6) or None
    phone = _phone(phone_or_postcode) if phone_or_postcode else None
    if phone_or_postcode and phone is None and postcode is None:
        postcode = phone_or_postcode
    if phone:
        _add_unique(pnr.phones, phone)
        if traveller is not None:
            _add_unique(traveller.phones, phone)
    lines = [p for p in (part(1),) if p]
    if not (lines or part(2) or part(5)):
        return
    address = Address(
        lines=lines,
        city=part(2) or None,
        region=part(3) or None,
        postcode=postcode,
        country=to_alpha2(part(5)),
    )
    if traveller is not None and traveller.address is None:
        traveller.address = address
    if address not in pnr.addresses:
        pnr.addresses.append(address)


def _payment(segment: Segment, pnr: _Pnr) -> None:
    code = segment.component(0, 0).upper()
    if code:
        _add_unique(pnr.payment_codes, code)
    amount = _amount(segment.component(0, 2)) if segment.component(0, 2) else None
    if amount is not None:
        pnr.payment_amounts.append(amount)
    card = segment.component(0, 4)
    if card and pnr.payment_card is None:
        vendor = segment.component(0, 3)
        pnr.payment_card = f"{vendor} {_masked_card(card)}".strip()


def _monetary(segment: Segment, pnr: _Pnr) -> None:
    for element in segment.elements:
        if len(element) >= 2 and element[0].strip() == "T":
            amount = _amount(element[1])
            if amount is not None:
                pnr.ticket_totals.append((amount, element[2].strip() if len(element) > 2 else ""))


# ---------------------------------------------------------------------------------------------
# One PNR


def _read_pnr(segments: list[Segment], reference_year: int) -> _Pnr:
    pnr = _Pnr()
    mode = "pnr"  # pnr -> traveller -> itinerary; history and non-air groups are skipped
    traveller: _Traveller | None = None
    leg_index: int | None = None
    non_air_next = False
    for segment in segments:
        tag = segment.tag
        if mode == "history":
            if tag == "SSR" and is_sensitive_code(segment.component(0, 0)):
                pnr.sensitive_removed += 1
            continue
        if tag == "ABI" or tag == "LTS":
            mode = "history"
        elif tag == "RCI":
            if not pnr.locators:
                _read_locators(segment, pnr, reference_year)
        elif tag == "MSG":
            non_air_next = segment.component(0, 1) == "8"
        elif tag == "TVL":
            if not any(segment.component(i) for i in range(4)):
                # Codeshare continuation: the operating flight number of the leg just read.
                if leg_index is not None and mode == "itinerary":
                    pnr.legs[leg_index].operating_number = normalise_flight_number(segment.component(4, 0))
                continue
            leg = None if non_air_next else _read_leg(segment, reference_year)
            non_air_next = False
            if leg is None:
                mode, leg_index, traveller = "non_air", None, None
                continue
            pnr.legs.append(leg)
            mode, leg_index, traveller = "itinerary", len(pnr.legs) - 1, None
        elif mode == "non_air":
            continue
        elif tag == "TIF":
            candidate = _traveller_from_tif(segment)
            found = _find_traveller(pnr, candidate)
            if found is None:
                pnr.add_traveller(candidate)
                found = candidate
            traveller = found
            if mode == "pnr":
                mode = "traveller"
        elif tag == "SSR":
            _ssr(segment, pnr, traveller, leg_index)
        elif tag == "SSD" and traveller is not None and leg_index is not None:
            seat = _seat(segment.component(0))
            if seat:
                traveller.seats[leg_index] = seat
        elif tag == "TBD" and traveller is not None:
            count = segment.component(1, 0)
            if count.isdigit():
                traveller.bags = max(traveller.bags or 0, int(count))
        elif tag == "IFT":
            _free_text(segment, pnr, traveller if mode == "traveller" else None)
        elif tag == "ADD":
            _address(segment, pnr, traveller if mode == "traveller" else None)
        elif tag == "ORG" and mode == "pnr" and pnr.travel_agency is None:
            pnr.travel_agency = clean(segment.component(1, 0) or segment.component(1, 1))
        elif tag == "DAT" and mode == "pnr":
            for element in segment.elements:
                if element and element[0].strip() == "700" and len(element) > 1:
                    day = parse_ddmmyy(element[1], reference_year)
                    pnr.last_transaction = with_time(day, element[2] if len(element) > 2 else "0000")
        elif tag == "FOP":
            _payment(segment, pnr)
        elif tag == "MON":
            _monetary(segment, pnr)
        elif tag == "TKT" and traveller is not None and segment.component(0, 0):
            traveller.identifiers.append(Identifier(scheme="ticket", value=segment.component(0, 0), source_field="TKT"))
        elif tag == "FTI" and traveller is not None and segment.component(0, 1):
            value = f"{segment.component(0, 0)}{segment.component(0, 1)}"
            traveller.identifiers.append(Identifier(scheme="frequent_flyer", value=value, source_field="FTI"))
    _resolve_infants(pnr)
    _resolve_documents(pnr, reference_year)
    return pnr


def _resolve_infants(pnr: _Pnr) -> None:
    """An infant named only in SSR INFT (no TIF of its own) still becomes a traveller."""
    known = {t.name_key for t in pnr.travellers}
    for surname, given, born in pnr.pending_infants:
        key = _name_key(surname, given)
        if key not in known:
            known.add(key)
            pnr.add_traveller(
                _Traveller(
                    ref="",
                    surname=surname,
                    given_names=_strip_title(given) or None,
                    name_key=key,
                    role="infant",
                    date_of_birth=born,
                )
            )


def _surname_key(surname: str | None) -> str:
    return (surname or "").replace(" ", "").upper()


@dataclass
class _Owners:
    """The travellers of one PNR by surname, built once before its documents are assigned."""

    by_surname: dict[str, list[_Traveller]]
    infants_by_surname: dict[str, _Traveller]
    first_infant: _Traveller | None

    @classmethod
    def of(cls, pnr: _Pnr) -> _Owners:
        by_surname: dict[str, list[_Traveller]] = {}
        infants: dict[str, _Traveller] = {}
        first_infant = None
        for traveller in pnr.travellers:
            key = _surname_key(traveller.surname)
            by_surname.setdefault(key, []).append(traveller)
            if traveller.role == "infant":
                infants.setdefault(key, traveller)
                first_infant = first_infant or traveller
        return cls(by_surname, infants, first_infant)


def _document_owner(
    pnr: _Pnr, owners: _Owners, pending: _PendingDocument, surname: str, gender: str
) -> _Traveller | None:
    wanted_surname = _surname_key(surname)
    if gender.endswith("I") and owners.first_infant is not None:
        # MI/FI: the document of an infant travelling on an adult's lap
        return owners.infants_by_surname.get(wanted_surname) or owners.first_infant
    if pending.candidate is not None:
        return pending.candidate
    by_name = owners.by_surname.get(wanted_surname, []) if wanted_surname else []
    if len(by_name) == 1:
        return by_name[0]
    by_ref = pnr.by_ref.get(pending.ref) if pending.ref else None
    return by_ref or (by_name[0] if by_name else None)


def _prefer_document_given_name(owner: _Traveller, document_given: str) -> None:
    """``PRIYAMS`` in TIF and ``PRIYA`` in DOCS: the title glued to the name is dropped."""
    given, from_document = (owner.given_names or "").upper(), " ".join(document_given.split()).upper()
    suffix = given[len(from_document) :].strip() if given.startswith(from_document) else ""
    if from_document and given != from_document and suffix in TITLES_SPACED:
        owner.given_names = from_document


def _resolve_documents(pnr: _Pnr, reference_year: int) -> None:
    owners = _Owners.of(pnr)
    for pending in pnr.pending_documents:
        fields = [f.strip() for f in pending.fields] + [""] * 12
        if pending.code == "DOCS":
            # /type/issuing country/number/nationality/birth date/gender/expiry/surname/given/middle
            owner = _document_owner(pnr, owners, pending, fields[8], fields[6].upper())
            if owner is None:
                continue
            _prefer_document_given_name(owner, fields[9])
            owner.nationality = owner.nationality or to_alpha2(fields[4])
            owner.date_of_birth = owner.date_of_birth or parse_ddmonyy(fields[5], reference_year, past=True)
            gender = fields[6].upper()[:1]
            if gender in ("M", "F", "U", "X"):
                owner.gender = owner.gender or gender
            if fields[3]:
                document = TravelDocument(
                    doc_type=fields[1] or None,
                    number=fields[3],
                    issuing_country=to_alpha2(fields[2]),
                    expiry_date=parse_ddmonyy(fields[7], reference_year),
                )
                if all(d.number != document.number for d in owner.documents):
                    owner.documents.append(document)
        elif pending.code == "DOCO":
            # /birth place/type (V visa)/number/issue place/issue date/country of application
            owner = pending.candidate or pnr.by_ref.get(pending.ref)
            if owner is not None and fields[3]:
                owner.documents.append(
                    TravelDocument(doc_type=fields[2] or None, number=fields[3], issuing_country=to_alpha2(fields[6]))
                )
        elif pending.code == "DOCA":
            # /R|D/country/address/city/state/postcode
            owner = pending.candidate or pnr.by_ref.get(pending.ref)
            address = Address(
                lines=[fields[3]] if fields[3] else [],
                city=fields[4] or None,
                region=fields[5] or None,
                postcode=fields[6] or None,
                country=to_alpha2(fields[2]),
            )
            if owner is not None and (owner.address is None or fields[1].upper() == "R"):
                owner.address = address
            if address not in pnr.addresses:
                pnr.addresses.append(address)


# ---------------------------------------------------------------------------------------------
# Records


def _leg_record(leg: _Leg, provenance: Provenance) -> FlightLeg:
    codeshare = leg.operating_carrier is not None
    carrier = leg.operating_carrier if codeshare and leg.operating_number else leg.marketing_carrier
    number = leg.operating_number if codeshare and leg.operating_number else leg.marketing_number
    return FlightLeg(
        id=make_id("flight_leg", carrier, number, leg.flight_date, leg.departure_airport),
        carrier=carrier or "",
        flight_number=number or "",
        departure_airport=leg.departure_airport,
        arrival_airport=leg.arrival_airport,
        departure_time=leg.departure_time,
        arrival_time=leg.arrival_time,
        flight_date=leg.flight_date,
        marketing_carrier=leg.marketing_carrier if codeshare else None,
        marketing_flight_number=leg.marketing_number if codeshare else None,
        **provenance.fields(),
    )


def _route(legs: list[FlightLeg]) -> list[str]:
    route: list[str] = []
    for leg in legs:
        for code in (leg.departure_airport, leg.arrival_airport):
            if code and (not route or route[-1] != code):
                route.append(code)
    return route


def _booking_records(pnr: _Pnr, header_leg_id: str | None, provenance: Provenance, ids: IdAllocator) -> list[Record]:
    carrier_locator = next(((a, loc) for a, loc in pnr.locators if not GDS_CODE.match(a)), None)
    airline, locator = carrier_locator or (pnr.locators[0] if pnr.locators else ("", ""))
    if not locator:
        raise ParseError("pnrgov.no_record_locator", "PNR group (SRC) without a record locator (RCI)")
    created = pnr.created_at.date() if pnr.created_at else None
    booking_id = ids("booking", airline, locator, created)
    legs = merge_by_id(_leg_record(leg, provenance) for leg in pnr.legs)
    leg_ids = [leg.id for leg in legs]
    raw_leg_ids = [_leg_record(leg, provenance).id for leg in pnr.legs]
    header_index = raw_leg_ids.index(header_leg_id) if header_leg_id in raw_leg_ids else None
    route = _route(legs)
    passengers: list[Passenger] = []
    for traveller in pnr.travellers:
        seat = traveller.seats.get(header_index) if header_index is not None else None
        if seat is None and traveller.seats:
            seat = traveller.seats[min(traveller.seats)]
        full_name = clean(f"{traveller.given_names or ''} {traveller.surname or ''}") or "UNKNOWN"
        passengers.append(
            Passenger(
                id=ids(
                    "passenger",
                    FORMAT,
                    airline,
                    locator,
                    created,
                    traveller.surname,
                    traveller.given_names,
                    traveller.role,
                ),
                role=traveller.role,
                surname=traveller.surname,
                given_names=traveller.given_names,
                full_name=full_name,
                date_of_birth=traveller.date_of_birth,
                gender=traveller.gender,
                nationality=traveller.nationality,
                documents=traveller.documents,
                address=traveller.address,
                phones=traveller.phones,
                emails=traveller.emails,
                identifiers=traveller.identifiers,
                booking_id=booking_id,
                record_locator=locator,
                flight_leg_ids=leg_ids,
                seat=seat,
                bag_count=traveller.bags,
                embarkation=route[0] if route else None,
                debarkation=route[-1] if route else None,
                **provenance.fields(),
            )
        )
    amounts = pnr.payment_amounts or [amount for amount, _ in pnr.ticket_totals]
    currency = next((c for _, c in pnr.ticket_totals if c), None)
    booking = Booking(
        id=booking_id,
        record_locator=locator,
        carrier=airline or None,
        created_at=pnr.created_at or pnr.last_transaction,
        passenger_ids=[p.id for p in passengers],
        flight_leg_ids=leg_ids,
        route=route,
        one_way=(route[0] != route[-1]) if len(route) >= 2 else None,
        form_of_payment=",".join(pnr.payment_codes) or None,
        payment_card=pnr.payment_card,
        payment_amount=round(sum(amounts), 2) if amounts else None,
        payment_currency=currency,
        travel_agency=pnr.travel_agency,
        payer_name=pnr.payer_name,
        phones=pnr.phones,
        emails=pnr.emails,
        addresses=pnr.addresses,
        remarks=pnr.remarks,
        sensitive_removed=pnr.sensitive_removed,
        **provenance.fields(),
    )
    return [booking, *passengers, *legs]


def _locator_hint(group: list[Segment]) -> str:
    """The record locator of a PNR group as written, for naming the group in a dead letter."""
    rci = next((segment for segment in group if segment.tag == "RCI"), None)
    return f", record locator {rci.component(0, 0)}:{rci.component(0, 1)}" if rci and rci.component(0, 1) else ""


def _pnr_rejection(
    payload: bytes, ctx: MessageContext, part: str, error: Exception, provenance: Provenance
) -> Record:
    if isinstance(error, ParseError):
        reason, detail = error.reason, error.detail
    else:  # a parser bug or a value a record refuses: this PNR only
        reason, detail = "pnrgov.pnr_unreadable", f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
    return part_rejection(payload, ctx, provenance, part=part, reason=reason, detail=detail)


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    interchange = read_interchange(payload, "PNRGOV")
    reference_year = (interchange.prepared_at or ctx.received_at or datetime(2000, 1, 1)).year
    provenance = Provenance.of(payload, ctx, FORMAT, interchange.warnings)
    ids = IdAllocator()
    records: list[Record] = []
    for message in interchange.messages:
        groups: list[tuple[int, list[Segment]]] = []  # (segment number of SRC, the group's segments)
        header_leg: FlightLeg | None = None
        for number, segment in enumerate(message.segments, start=2):
            if segment.tag == "SRC":
                groups.append((number, []))
            elif groups:
                groups[-1][1].append(segment)
            elif segment.tag == "TVL" and header_leg is None:
                leg = _read_leg(segment, reference_year)
                header_leg = _leg_record(leg, provenance) if leg else None
        if header_leg is not None:
            records.append(header_leg)
        if not groups:
            raise ParseError("pnrgov.no_pnr", f"message {message.reference} holds no PNR (SRC group)")
        for index, (position, group) in enumerate(groups, start=1):
            # Each PNR stands alone: one that cannot be read is one dead letter, the others are records.
            try:
                pnr = _read_pnr(group, reference_year)
                records.extend(_booking_records(pnr, header_leg.id if header_leg else None, provenance, ids))
            except Exception as error:  # isolated per PNR: reported as a dead letter, never fatal to the rest
                end = position + len(group)
                part = (
                    f"PNR {index} of {len(groups)} in message {message.reference} "
                    f"(segments {position}-{end}{_locator_hint(group)})"
                )
                records.append(_pnr_rejection(payload, ctx, part, error, provenance))
    bookings_and_people = [r for r in records if not isinstance(r, FlightLeg)]
    legs = merge_by_id(r for r in records if isinstance(r, FlightLeg))
    return [*bookings_and_people, *legs]
