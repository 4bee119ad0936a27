"""UN/EDIFACT PAXLST (API passenger and crew manifests, D02B/D05B) -> Passenger and FlightLeg records.

The interchange is read by ``edifact_syntax`` (UNA service characters, release character, envelope).

One message lists the flight legs (TDT with its LOC/DTM) and then one NAD group per person: name (NAD),
gender (ATT), date of birth (DTM 329), ports (LOC 178/179), nationality (NAT), reservation (RFF AVF)
and travel documents (DOC with expiry DTM 36 and issuing country LOC 91).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from feeds.airport_codes import airport_code
from feeds.base import MessageContext, ParseError, WarningLog
from feeds.check_digits import mrz_document_number_valid
from feeds.country_codes import to_alpha2
from feeds.edifact_syntax import EdifactMessage, Segment, read_interchange, sniff_edifact
from feeds.flight_designators import split_designator
from feeds.message_dates import parse_edifact_datetime, parse_yymmdd
from feeds.record_assembly import IdAllocator, Provenance, clean, merge_by_id, part_rejection
from schemas.records import Address, FlightLeg, Passenger, Record, TravelDocument, make_id

FORMAT = "paxlst"

# NAD party qualifiers of the people on the list, and their role.
PERSON_ROLES = {"FL": "passenger", "FM": "crew", "DDT": "in_transit", "DDU": "crew", "COT": "other"}
GENDERS = {"M": "M", "F": "F", "U": "U", "X": "X"}


@dataclass
class _Leg:
    designator: str
    carrier_hint: str
    departure_airport: str | None = None
    arrival_airport: str | None = None
    departure_time: datetime | None = None
    arrival_time: datetime | None = None
    last_location: str = ""


@dataclass
class _Document:
    doc_type: str | None
    number: str
    issuing_country: str | None = None
    expiry_date: date | None = None


@dataclass
class _Person:
    role: str
    surname: str | None
    given_names: str | None
    position: int = 0  # segment number of its NAD in the message (UNH is 1)
    street: list[str] = field(default_factory=list)
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    gender: str | None = None
    date_of_birth: date | None = None
    nationality: str | None = None
    residence: str | None = None
    embarkation: str | None = None
    debarkation: str | None = None
    record_locator: str | None = None
    documents: list[_Document] = field(default_factory=list)


def sniff(payload: bytes) -> bool:
    return sniff_edifact(payload, b"PAXLST")


def _read_message(message: EdifactMessage, reference_year: int) -> tuple[list[_Leg], list[_Person]]:
    legs: list[_Leg] = []
    people: list[_Person] = []
    person: _Person | None = None
    for number, segment in enumerate(message.segments, start=2):
        tag = segment.tag
        if tag == "TDT":
            legs.append(_Leg(designator=segment.component(1), carrier_hint=segment.component(4)))
            person = None
        elif tag == "NAD":
            person = _start_person(segment)
            if person is not None:
                person.position = number
                people.append(person)
        elif person is not None:
            _person_segment(person, segment, reference_year)
        elif legs:
            _leg_segment(legs[-1], segment, reference_year)
    return legs, people


def _start_person(segment: Segment) -> _Person | None:
    role = PERSON_ROLES.get(segment.component(0).upper())
    if role is None:
        return None  # the reporting party (MS) and other contacts are not travellers
    return _Person(
        role=role,
        surname=clean(segment.component(3, 0)),
        given_names=clean(" ".join(part for part in segment.element(3)[1:] if part.strip())),
        street=[line.strip() for line in segment.element(4) if line.strip()],
        city=clean(segment.component(5)),
        postcode=clean(segment.component(7)),
        country=to_alpha2(segment.component(8)),
    )


def _leg_segment(leg: _Leg, segment: Segment, reference_year: int) -> None:
    if segment.tag == "LOC":
        qualifier, code = segment.component(0), airport_code(segment.component(1))
        if qualifier == "125" or (qualifier == "92" and leg.departure_airport is None):
            leg.departure_airport, leg.last_location = code, "departure"
        elif qualifier in ("87", "92"):
            leg.arrival_airport, leg.last_location = code, "arrival"
    elif segment.tag == "DTM":
        when = parse_edifact_datetime(segment.component(0, 1), segment.component(0, 2), reference_year)
        if segment.component(0, 0) == "189":
            leg.departure_time = when
        elif segment.component(0, 0) == "232":
            leg.arrival_time = when


def _person_segment(person: _Person, segment: Segment, reference_year: int) -> None:
    tag, qualifier = segment.tag, segment.component(0)
    if tag == "ATT" and qualifier == "2":
        person.gender = GENDERS.get(segment.component(2).upper())
    elif tag == "DTM" and qualifier == "329":
        person.date_of_birth = parse_yymmdd(segment.component(0, 1), reference_year, past=True)
    elif tag == "DTM" and qualifier == "36" and person.documents:
        person.documents[-1].expiry_date = parse_yymmdd(segment.component(0, 1), reference_year)
    elif tag == "LOC":
        code = segment.component(1)
        if qualifier == "178":
            person.embarkation = airport_code(code)
        elif qualifier == "179":
            person.debarkation = airport_code(code)
        elif qualifier == "174":
            person.residence = to_alpha2(code)
        elif qualifier == "91" and person.documents:
            person.documents[-1].issuing_country = to_alpha2(code)
    elif tag == "NAT":
        person.nationality = to_alpha2(segment.component(1))
    elif tag == "RFF" and segment.component(0, 0) == "AVF":
        person.record_locator = clean(segment.component(0, 1))
    elif tag == "DOC":
        number = clean(segment.component(1))
        if number:
            person.documents.append(_Document(doc_type=clean(segment.component(0, 0)), number=number))


def _leg_record(leg: _Leg, provenance: Provenance) -> FlightLeg:
    carrier, number = split_designator(leg.designator, leg.carrier_hint)
    flight_date = leg.departure_time.date() if leg.departure_time else None
    return FlightLeg(
        id="",  # set by the caller once the natural key is known
        carrier=carrier,
        flight_number=number,
        departure_airport=leg.departure_airport,
        arrival_airport=leg.arrival_airport,
        departure_time=leg.departure_time,
        arrival_time=leg.arrival_time,
        flight_date=flight_date,
        **provenance.fields(),
    )


def _person_record(person: _Person, legs: list[FlightLeg], provenance: Provenance, ids: IdAllocator) -> Passenger:
    documents = [
        TravelDocument(
            doc_type=d.doc_type,
            number=d.number,
            issuing_country=d.issuing_country,
            expiry_date=d.expiry_date,
            check_digits_valid=mrz_document_number_valid(d.number),
        )
        for d in person.documents
    ]
    first_leg = legs[0] if legs else None
    flight_key = (first_leg.carrier, first_leg.flight_number, first_leg.flight_date) if first_leg else ()
    if documents:
        key: tuple[object, ...] = (documents[0].number, documents[0].issuing_country, person.date_of_birth)
    else:
        key = ("name", person.surname, person.given_names, person.date_of_birth)
    full_name = clean(f"{person.given_names or ''} {person.surname or ''}") or "UNKNOWN"
    address = None
    if person.street or person.city or person.country:
        address = Address(lines=person.street, city=person.city, postcode=person.postcode, country=person.country)
    return Passenger(
        id=ids("passenger", FORMAT, *key, *flight_key),
        role=person.role,
        surname=person.surname,
        given_names=person.given_names,
        full_name=full_name,
        date_of_birth=person.date_of_birth,
        gender=person.gender,
        nationality=person.nationality,
        country_of_residence=person.residence,
        documents=documents,
        address=address,
        record_locator=person.record_locator,
        flight_leg_ids=[leg.id for leg in legs],
        embarkation=person.embarkation,
        debarkation=person.debarkation,
        **provenance.fields(),
    )


def _count_warnings(message: EdifactMessage, people: list[_Person]) -> WarningLog:
    """CNT 42 (passengers) and 41 (crew) against the NAD groups read; a mismatch is a warning."""
    log = WarningLog()
    crew = sum(person.role == "crew" for person in people)
    counted = {"41": ("crew members", crew), "42": ("passengers", len(people) - crew)}
    for segment in message.segments:
        if segment.tag == "CNT" and segment.component(0, 0) in counted:
            what, found = counted[segment.component(0, 0)]
            stated = segment.component(0, 1) or segment.component(1, 0)  # CNT+42:10, or CNT+42+10 as some send it
            if not (stated.isdigit() and int(stated) == found):
                detail = f"CNT of message {message.reference} states {stated!r} {what}, found {found}"
                log.add("edifact.count_mismatch", detail)
    return log


def _unreadable_group(person: _Person) -> str | None:
    if not (person.surname or person.given_names or person.documents):
        return "no name and no travel document"
    return None


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    interchange = read_interchange(payload, "PAXLST")
    reference_year = (interchange.prepared_at or ctx.received_at or datetime(2000, 1, 1)).year
    message_provenance = Provenance.of(payload, ctx, FORMAT, interchange.warnings)
    ids = IdAllocator()
    records: list[Record] = []
    for message in interchange.messages:
        raw_legs, people = _read_message(message, reference_year)
        if not raw_legs:
            raise ParseError("paxlst.no_flight", f"message {message.reference} has no TDT flight segment")
        provenance = message_provenance.with_warnings(_count_warnings(message, people).items)
        legs: list[FlightLeg] = []
        for raw in raw_legs:
            leg = _leg_record(raw, provenance)
            key = (leg.carrier, leg.flight_number, leg.flight_date, leg.departure_airport)
            legs.append(leg.model_copy(update={"id": make_id("flight_leg", *key)}))
        legs = merge_by_id(legs)
        records.extend(legs)
        for number, person in enumerate(people, start=1):
            # One unreadable passenger group is one dead letter; the rest of the manifest is kept.
            problem = _unreadable_group(person)
            if problem is None:
                try:
                    records.append(_person_record(person, legs, provenance, ids))
                    continue
                except ValueError as exc:  # pydantic's ValidationError included: a value the record refuses
                    problem = " ".join(str(exc).split())[:300] or type(exc).__name__
            where = f"NAD at segment {person.position} of message {message.reference}"
            part = f"passenger group {number} of {len(people)} ({where})"
            reason = "paxlst.passenger_unreadable"
            records.append(part_rejection(payload, ctx, provenance, part=part, reason=reason, detail=problem))
    return records
