"""What resolution compares: one ``Profile`` per record, with its normalised keys and its names.

A profile is computed once per record, so that comparing two records is cheap. Names are analysed
by the screening name matcher only when a comparison needs them (most pairs are settled by a
document, a date of birth or a contradiction first), and each distinct name once (``prepare_name``
is cached). Normalisation reuses the graph's join keys (``graph.keys``), so that two records
resolution joins would also meet at the same graph node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from enrichment.screening import PreparedName, prepare_name
from graph.keys import address_key, compact_key, email_key, flight_number_key, imo_key, org_name_key, phone_key
from schemas.records import Consignment, Declaration, FlightLeg, Party, Passenger, Record

EntityKind = Literal["traveller", "consignment", "party", "flight"]
DOCUMENT_TYPES = {"P": "passport", "I": "identity card", "A": "identity card", "C": "identity card", "V": "visa"}
ENTITY_KINDS: tuple[EntityKind, ...] = ("traveller", "consignment", "party", "flight")


@dataclass(frozen=True, slots=True)
class Names:
    """Names of one kind, analysed on first use."""

    texts: tuple[str, ...] = ()
    kind: Literal["PER", "ORG", "UNK"] = "UNK"

    def prepared(self) -> tuple[PreparedName, ...]:
        return tuple(name for text in self.texts if (name := prepare_name(text, self.kind)).tokens)

    def __bool__(self) -> bool:
        return bool(self.texts)


@dataclass(frozen=True, slots=True)
class Profile:
    """The comparable facts of one record. Empty sets and ``None`` mean "not known", never "none"."""

    record_id: str
    record_type: str
    kind: EntityKind
    label: str
    source_format: str
    names: Names = Names()
    given_names: Names = Names()  # travellers whose feed gives the name parts apart
    name_parts: tuple[str, str] | None = None  # (surname, given names) when the feed gives them apart
    name_key: str | None = None  # organisation name without legal forms (parties)
    birth_date: date | None = None
    gender: str | None = None
    documents: frozenset[tuple[str, str]] = frozenset()  # (issuing country or "", compact number)
    document_types: tuple[tuple[str, str], ...] = ()  # (compact number, "passport" / "identity card" / ...)
    flights: frozenset[str] = frozenset()  # flight leg ids
    locators: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    address: str | None = None
    country: str | None = None
    registrations: frozenset[str] = frozenset()
    transport_documents: frozenset[str] = frozenset()  # AWB, house bill, B/L numbers (compact)
    references: frozenset[str] = frozenset()  # MRN / LRN
    sailings: frozenset[str] = frozenset()  # container|vessel|arrival day
    party_names: Names = Names()  # consignee and shipper names of a consignment
    flight_key: str | None = None  # CX500/2026-12-07/HKG for flight legs


def _identity(record: Record, kind: EntityKind, label: str) -> dict[str, Any]:
    return {
        "record_id": record.id,
        "record_type": record.record_type,
        "kind": kind,
        "label": label,
        "source_format": record.source_format,
    }


def _names(kind: Literal["PER", "ORG", "UNK"], *texts: str | None) -> Names:
    return Names(tuple(text.strip() for text in texts if text and text.strip()), kind)


def _phones(raw: list[str], region: str | None) -> frozenset[str]:
    return frozenset(key for key in (phone_key(value, region) for value in raw) if key)


def _emails(raw: list[str]) -> frozenset[str]:
    return frozenset(key for key in (email_key(value) for value in raw) if key)


def _name_parts(record: Passenger) -> tuple[str, str] | None:
    surname, given = (record.surname or "").strip(), (record.given_names or "").strip()
    return (surname, given) if surname and given else None


def _passenger(record: Passenger) -> Profile:
    documents = frozenset(
        (document.issuing_country or "", number)
        for document in record.documents
        if (number := compact_key(document.number, min_length=5))
    )
    types = tuple(
        (number, DOCUMENT_TYPES.get((document.doc_type or "").upper()[:1], "travel document"))
        for document in record.documents
        if (number := compact_key(document.number, min_length=5))
    )
    region = record.address.country if record.address else record.nationality
    gender = record.gender if record.gender in ("M", "F") else None
    return Profile(
        **_identity(record, "traveller", record.full_name),
        names=_names("PER", record.full_name),
        given_names=_names("PER", record.given_names) if record.surname else Names(),
        name_parts=_name_parts(record),
        birth_date=record.date_of_birth,
        gender=gender,
        documents=documents,
        document_types=types,
        flights=frozenset(record.flight_leg_ids),
        locators=frozenset({record.record_locator.strip().upper()} if record.record_locator else set()),
        phones=_phones(record.phones, region),
        emails=_emails(record.emails),
        address=address_key(record.address),
        country=record.nationality,
    )


def _documents_of(number: str | None) -> frozenset[str]:
    key = compact_key(number)
    return frozenset({key} if key else set())


def _sailings(containers: list[str], imo: str | None, day: date | None) -> frozenset[str]:
    vessel = imo_key(imo)
    if vessel is None or day is None:
        return frozenset()
    keys = (compact_key(container, min_length=10) for container in containers)
    return frozenset(f"{key}|{vessel}|{day.isoformat()}" for key in keys if key)


def _shipment(record: Consignment | Declaration, label: str, document: str | None, references: frozenset[str],
              names: tuple[str | None, ...], sailings: frozenset[str] = frozenset()) -> Profile:
    """A consignment or the declaration of one: both describe a shipment."""
    return Profile(
        **_identity(record, "consignment", label),
        # An entry summary that quotes only its own LRN has a reference, not a transport document.
        transport_documents=_documents_of(document) - references,
        references=references,
        sailings=sailings,
        party_names=_names("ORG", *names),
    )


def _consignment(record: Consignment) -> Profile:
    references = frozenset(
        key
        for identifier in record.identifiers
        if identifier.scheme.lower() in ("lrn", "mrn") and (key := compact_key(identifier.value))
    )
    return _shipment(
        record,
        f"consignment {record.transport_document}",
        record.transport_document,
        references,
        (record.consignee_name, record.shipper_name),
        _sailings(record.containers, record.vessel_imo, record.arrival_date),
    )


def _declaration(record: Declaration) -> Profile:
    reference = compact_key(record.reference)
    return _shipment(
        record,
        f"declaration {record.reference}",
        record.transport_document,
        frozenset({reference} if reference else set()),
        (record.importer_name, record.exporter_name),
    )


def _party(record: Party) -> Profile:
    kind: Literal["PER", "ORG", "UNK"] = "PER" if record.schema_name == "Person" else "ORG"
    country = record.address.country if record.address else None
    return Profile(
        **_identity(record, "party", record.name),
        names=_names(kind, record.name),
        name_key=org_name_key(record.name),
        phones=_phones(record.phones, country),
        emails=_emails(record.emails),
        address=address_key(record.address),
        country=country,
        registrations=frozenset(key for raw in record.registration_ids if (key := compact_key(raw, min_length=6))),
    )


def _flight_leg(record: FlightLeg) -> Profile | None:
    number = flight_number_key(record.carrier, record.flight_number)
    day = record.flight_date or (record.departure_time.date() if record.departure_time else None)
    if number is None or day is None:
        return None  # a flight without a day is every day's flight: not an identity
    return Profile(
        **_identity(record, "flight", f"flight {number} {day.isoformat()}"),
        flight_key=f"{number}/{day.isoformat()}",
        address=record.departure_airport,  # the leg's origin: a multi-leg flight number is several legs
    )


def profile_of(record: Record) -> Profile | None:
    """The profile of a record that describes a resolvable entity, else ``None``."""
    if isinstance(record, Passenger):
        return _passenger(record)
    if isinstance(record, Consignment):
        return _consignment(record)
    if isinstance(record, Declaration):
        return _declaration(record)
    if isinstance(record, Party):
        return _party(record)
    if isinstance(record, FlightLeg):
        return _flight_leg(record)
    return None
