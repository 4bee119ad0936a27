"""The canonical record and entity types: declared once, here.

Everything else is generated from these declarations (``schemas.generate``): Elasticsearch index
mappings, JSON Schema, Great Expectations suites and the Flink row types. Records are frozen
pydantic models; stages return new records (``model_copy(update=...)``) instead of mutating.

Field annotations carry the few facts the generators cannot infer from the Python type, each a
``FieldFact`` with its rule as data: ``Text`` (full-text searchable, with a keyword sub-field; no rule),
``Country`` (one of the ISO 3166-1 alpha-2 codes), ``Airport`` (IATA code), ``HsCode`` (Harmonized
System), ``Positive`` numbers, ``PastDate`` and the MRZ check-digit flag. The construction-time
constraints (pydantic ``Field``) are taken from the same facts where the rule needs no context: the HS
code and airport patterns and the lower bound of positive numbers. Rules that need context (today's
date) or that a whole message must not fail to parse over (an unknown country code) are checked per
batch, by the Great Expectations suite generated from the facts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field

from schemas.grading import Credibility, Reliability, grade_code


@dataclass(frozen=True)
class FieldFact:
    """A marker placed in ``Annotated[...]`` that the generators read: a name and the rule every value of
    the field obeys, as data. ``schemas.generate`` turns the rule into expectations; a fact without a rule
    (``text``) only shapes the mapping.

    Values are compared as the validation frame holds them: ``pattern``, ``one_of`` and ``none_of`` on
    the text form (booleans as ``true``/``false``), ``minimum``/``maximum`` on numbers, ``earliest`` and
    ``not_after_today`` on days.
    """

    name: str
    pattern: str | None = None  # a regular expression every value matches
    one_of: frozenset[str] | None = None  # the values allowed
    none_of: frozenset[str] | None = None  # values not allowed
    minimum: float | None = None  # inclusive bounds of a number
    maximum: float | None = None
    earliest: date | None = None  # the first allowed day
    not_after_today: bool = False  # no day after the day of validation

    @property
    def has_rule(self) -> bool:
        rules = (self.pattern, self.one_of, self.none_of, self.minimum, self.maximum, self.earliest)
        return self.not_after_today or any(rule is not None for rule in rules)

    def __repr__(self) -> str:
        return f"FieldFact({self.name!r})"


def _countries() -> frozenset[str]:
    return frozenset({c.alpha_2 for c in pycountry.countries} | {"XK"})  # Kosovo is used on travel documents


# Harmonized System: a chapter the HS defines (01-97; 77 is reserved), then the heading (4 digits), the
# subheading (6) or a national 8- or 10-digit extension. A heading alone is a real classification: ICS2
# house consignments and the WCO data model both allow it.
HS_CODE_PATTERN = r"^(?:0[1-9]|[1-6]\d|7[0-689]|8\d|9[0-7])(?:\d{2}){1,4}$"

TEXT = FieldFact("text")
COUNTRY = FieldFact("country", one_of=_countries())
AIRPORT = FieldFact("airport", pattern=r"^[A-Z]{3}$")
HS_CODE = FieldFact("hs_code", pattern=HS_CODE_PATTERN)
POSITIVE = FieldFact("positive", minimum=0)
PAST_DATE = FieldFact("past_date", earliest=date(1900, 1, 1), not_after_today=True)
CHECK_DIGITS = FieldFact("check_digits", none_of=frozenset({"false"}))

FIELD_FACTS: tuple[FieldFact, ...] = (TEXT, COUNTRY, AIRPORT, HS_CODE, POSITIVE, PAST_DATE, CHECK_DIGITS)

Text = Annotated[str, TEXT]
Country = Annotated[str, COUNTRY, Field(pattern=r"^[A-Z]{2}$")]  # the shape here; membership per batch
Airport = Annotated[str, AIRPORT, Field(pattern=AIRPORT.pattern)]
HsCode = Annotated[str, HS_CODE, Field(pattern=HS_CODE.pattern)]
Positive = Annotated[float, POSITIVE, Field(ge=POSITIVE.minimum)]
PastDate = Annotated[date, PAST_DATE]
CheckDigits = Annotated[bool, CHECK_DIGITS]


def make_id(record_type: str, *natural_key: object) -> str:
    """Deterministic id from the record type and its natural key: the Kafka key, ES ``_id`` and graph node id."""
    parts = "\x1f".join("" if part is None else str(part).strip().upper() for part in natural_key)
    digest = hashlib.sha256(f"{record_type}\x1e{parts}".encode()).hexdigest()[:24]
    return f"{record_type}-{digest}"


def message_id_of(payload: bytes) -> str:
    """The id of a raw message: the SHA-256 of its bytes (the Kafka key of the raw topic)."""
    return hashlib.sha256(payload).hexdigest()


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------------------------------------
# Value objects (embedded in records, never indexed on their own)


class Address(Frozen):
    lines: list[str] = Field(default_factory=list)
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: Country | None = None
    text: Text | None = None


class TravelDocument(Frozen):
    doc_type: str | None = None  # P passport, I id card, V visa, ...
    number: str
    issuing_country: Country | None = None
    expiry_date: date | None = None
    check_digits_valid: CheckDigits | None = None


class Identifier(Frozen):
    """A typed identifier (container, IMO, AWB, IBAN, phone, e-mail, HS code, MRZ...) that graphs join on."""

    scheme: str
    value: str
    valid: bool = True
    source_field: str | None = None


class Evidence(Frozen):
    """Where the page, as it was fetched, is archived: one WARC response record (``crawlers.warc_archive``).

    ``id`` (``<file>:<offset>``) names it for ``sekisho evidence show`` and the API; ``digest`` is the
    record's ``WARC-Payload-Digest``, checked when the copy is read back.
    """

    warc_file: str  # file name in the evidence directory
    offset: int
    length: int
    digest: str
    warc_record_id: str
    fetched_at: datetime

    @property
    def id(self) -> str:
        return f"{self.warc_file}:{self.offset}"


class EvidenceLink(Frozen):
    """How a fact drawn from a crawled page points to what it was read from: the archived copy (its
    ``Evidence.id``, ``<warc file>:<offset>``, and payload digest), the page's record and its source's grade.

    Carried by every web-derived fact that is not the page itself: NER mentions on a crawled page, graph
    edges a page asserts (as ``evidence``/``evidence_digest``/``grade``), and alerts whose graph path runs
    through such edges.
    """

    evidence: str
    digest: str
    grade: str | None = None  # reliability A-F and credibility 1-6 of the source when the page was crawled
    source_record: str | None = None  # the CrawledPage

    @property
    def warc_file(self) -> str:
        return self.evidence.rpartition(":")[0]

    @property
    def offset(self) -> int:
        return int(self.evidence.rpartition(":")[2])


class Mention(Frozen):
    """A named entity found in free text (NER)."""

    label: Literal["PER", "ORG", "LOC", "MISC"]
    text: Text  # full-text searchable, with a keyword sub-field for aggregations
    start: int
    end: int
    score: float | None = None
    field: str | None = None
    # Found on a crawled page: the archived copy it was read from and the source's grade.
    evidence: EvidenceLink | None = None


class ScreeningHit(Frozen):
    """A watchlist match: a lead for review, never a verdict."""

    entry_id: str
    list_name: str
    matched_name: str
    query_name: str
    score: float
    explanation: Text
    schema_name: str | None = None
    field: str | None = None


class RiskAssessment(Frozen):
    score: float
    model: str
    reasons: list[str] = Field(default_factory=list)
    contributions: dict[str, float] = Field(default_factory=dict)


class ParseWarning(Frozen):
    """Something a parser tolerated instead of rejecting: the record is kept, the deviation is on it.

    ``code`` is stable and machine-readable (``edifact.count_mismatch``, ``encoding.fallback`` ...);
    ``detail`` says what was wrong and where, in words an operator can act on."""

    code: str
    detail: Text


class StatusEvent(Frozen):
    """One status of a consignment as a carrier reports it (Cargo-IMP FSU): received, departed, arrived..."""

    code: str  # RCS, MAN, DEP, ARR, RCF, NFD, DLV ...
    airport: str | None = None
    destination: str | None = None
    flight: str | None = None
    day: str | None = None  # as sent (DDMMM; Cargo-IMP dates carry no year)
    time: str | None = None  # HHMM, local time of ``airport``
    pieces: int | None = None
    weight_kg: Positive | None = None


class GoodsItem(Frozen):
    sequence: int | None = None
    description: Text | None = None
    hs_code: HsCode | None = None
    quantity: Positive | None = None
    quantity_unit: str | None = None
    package_count: int | None = None
    gross_weight_kg: Positive | None = None
    value: Positive | None = None
    currency: str | None = None
    origin_country: Country | None = None


# ---------------------------------------------------------------------------------------------
# Records (each is a document in its own index and a node in the link graph)


class Record(Frozen):
    """Fields every record has. ``record_type`` is fixed per subclass."""

    RECORD_TYPE: ClassVar[str] = "record"
    INDEX_VERSION: ClassVar[int] = 1

    id: str
    record_type: str
    source_format: str
    source: str | None = None
    message_id: str | None = None
    received_at: datetime | None = None
    indexed_at: datetime | None = None  # set by the stream's writer when it sends the record to the index
    # Enrichment, filled by the enrichment stages.
    identifiers: list[Identifier] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)
    screening: list[ScreeningHit] = Field(default_factory=list)
    risk: RiskAssessment | None = None
    # What the parser tolerated in the message this record came from (empty for a clean message).
    parse_warnings: list[ParseWarning] = Field(default_factory=list)


class Passenger(Record):
    """A traveller or crew member, from API/PAXLST or PNRGOV."""

    RECORD_TYPE: ClassVar[str] = "passenger"
    record_type: Literal["passenger"] = "passenger"
    role: Literal["passenger", "crew", "infant", "in_transit", "other"] = "passenger"
    surname: str | None = None
    given_names: str | None = None
    full_name: Text
    date_of_birth: PastDate | None = None
    gender: Literal["M", "F", "U", "X"] | None = None
    nationality: Country | None = None
    country_of_residence: Country | None = None
    documents: list[TravelDocument] = Field(default_factory=list)
    address: Address | None = None
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    booking_id: str | None = None
    record_locator: str | None = None
    flight_leg_ids: list[str] = Field(default_factory=list)
    seat: str | None = None
    bag_count: int | None = None
    embarkation: Airport | None = None
    debarkation: Airport | None = None


class FlightLeg(Record):
    RECORD_TYPE: ClassVar[str] = "flight_leg"
    record_type: Literal["flight_leg"] = "flight_leg"
    carrier: str
    flight_number: str
    departure_airport: Airport | None = None
    arrival_airport: Airport | None = None
    departure_time: datetime | None = None
    arrival_time: datetime | None = None
    flight_date: date | None = None
    # Codeshare: carrier/flight_number above are the operating (physical) flight; these the marketing one.
    marketing_carrier: str | None = None
    marketing_flight_number: str | None = None


class Booking(Record):
    """A passenger name record (PNRGOV)."""

    RECORD_TYPE: ClassVar[str] = "booking"
    record_type: Literal["booking"] = "booking"
    record_locator: str
    carrier: str | None = None
    created_at: datetime | None = None
    passenger_ids: list[str] = Field(default_factory=list)
    flight_leg_ids: list[str] = Field(default_factory=list)
    route: list[str] = Field(default_factory=list)
    one_way: bool | None = None
    form_of_payment: str | None = None  # CA cash, CC card, MS misc...
    payment_card: str | None = None  # masked
    payment_amount: Positive | None = None
    payment_currency: str | None = None
    travel_agency: str | None = None
    payer_name: Text | None = None  # who paid, when not the traveller (FOP/SSR details)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    remarks: list[Text] = Field(default_factory=list)
    sensitive_removed: int = 0
    depersonalised_at: datetime | None = None


class Party(Record):
    """A person or organisation in a trade role: shipper, consignee, notify party, importer, declarant..."""

    RECORD_TYPE: ClassVar[str] = "party"
    record_type: Literal["party"] = "party"
    name: Text
    schema_name: Literal["Person", "Organization", "Company", "LegalEntity"] = "LegalEntity"
    roles: list[str] = Field(default_factory=list)
    address: Address | None = None
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    registration_ids: list[str] = Field(default_factory=list)  # EORI, TIN, ...


class Consignment(Record):
    """An air waybill / house waybill / ENS consignment with its goods."""

    RECORD_TYPE: ClassVar[str] = "consignment"
    record_type: Literal["consignment"] = "consignment"
    transport_document: str  # AWB number, B/L, house waybill
    document_type: str | None = None  # MAWB, HAWB, BL, ENS...
    master_document: str | None = None
    amends: str | None = None  # an amendment: the MRN (or LRN) of the declaration it amends
    transport_mode: Literal["air", "sea", "road", "rail", "post", "other"] = "other"
    carrier: str | None = None
    flight_number: str | None = None
    vessel_imo: str | None = None
    containers: list[str] = Field(default_factory=list)
    origin: str | None = None
    destination: str | None = None
    port_of_arrival: str | None = None
    arrival_date: date | None = None
    shipper_id: str | None = None
    consignee_id: str | None = None
    notify_party_id: str | None = None
    shipper_name: Text | None = None
    consignee_name: Text | None = None
    goods: list[GoodsItem] = Field(default_factory=list)
    total_pieces: int | None = None
    total_weight_kg: Positive | None = None
    declared_value: Positive | None = None
    currency: str | None = None
    special_handling: list[str] = Field(default_factory=list)
    status_events: list[StatusEvent] = Field(default_factory=list)  # FSU: where the consignment has been


class Declaration(Record):
    """A customs import/export declaration (WCO data model)."""

    RECORD_TYPE: ClassVar[str] = "declaration"
    record_type: Literal["declaration"] = "declaration"
    declaration_type: Literal["import", "export", "transit", "other"] = "import"
    reference: str  # LRN / MRN / functional reference
    declared_at: datetime | None = None
    office_id: str | None = None
    importer_id: str | None = None
    exporter_id: str | None = None
    declarant_id: str | None = None
    importer_name: Text | None = None
    exporter_name: Text | None = None
    declarant_name: Text | None = None
    country_of_origin: Country | None = None
    country_of_export: Country | None = None
    transport_document: str | None = None
    containers: list[str] = Field(default_factory=list)
    goods: list[GoodsItem] = Field(default_factory=list)
    total_gross_weight_kg: Positive | None = None
    invoice_value: Positive | None = None
    currency: str | None = None
    total_taxes: Positive | None = None


class FieldChange(Frozen):
    """One extracted field that differs between the previous and the current copy of a page."""

    field: str
    before: str | None = None
    after: str | None = None


class CrawledPage(Record):
    """A page fetched by a crawler: article, marketplace listing, PDF notice or watchlist file."""

    RECORD_TYPE: ClassVar[str] = "crawled_page"
    record_type: Literal["crawled_page"] = "crawled_page"
    url: str
    canonical_url: str
    source_name: str
    kind: Literal["article", "listing", "watchlist", "notice", "page"] = "page"
    title: Text | None = None
    text: Text | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    content_hash: str | None = None
    http_status: int | None = None
    price: Positive | None = None
    price_currency: str | None = None
    seller: Text | None = None
    ship_from: Country | None = None
    image_urls: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    # Watchlist files: which list, and where the fetched bytes were stored (the record carries no bytes).
    list_name: str | None = None
    raw_location: str | None = None
    # The grade of the source (reliability A-F, credibility 1-6) when the page was crawled.
    reliability: Reliability | None = None
    credibility: Credibility | None = None
    # The archived copy this record was extracted from and, when the page changed since the previous
    # crawl, the previous copy and what changed between the two.
    evidence: Evidence | None = None
    previous_evidence: Evidence | None = None
    changes: list[FieldChange] = Field(default_factory=list)

    @property
    def grade(self) -> str | None:
        return grade_code(self.reliability, self.credibility) if self.reliability and self.credibility else None

    def evidence_link(self) -> EvidenceLink | None:
        """What a fact drawn from this page points to (none when the page was not archived)."""
        if self.evidence is None:
            return None
        return EvidenceLink(
            evidence=self.evidence.id, digest=self.evidence.digest, grade=self.grade, source_record=self.id
        )


class Rejection(Record):
    """A dead letter: input that could not become a valid record, with why and where it came from."""

    RECORD_TYPE: ClassVar[str] = "rejection"
    record_type: Literal["rejection"] = "rejection"
    reason: str  # machine-readable code, e.g. edifact.syntax, xml.malformed, validation.expectation
    detail: Text
    stage: str  # parse, validate, normalise, enrich...
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    raw: str | None = None  # the payload (text, or base64 when not UTF-8), truncated
    raw_sha256: str | None = None
    raw_size: int | None = None
    expectation: str | None = None
    record_type_expected: str | None = None
    record_id: str | None = None  # the record that failed validation, when it got that far
    part: str | None = None  # which part of the message failed (one PNR, one passenger group), when not all of it


RECORD_TYPES: dict[str, type[Record]] = {
    cls.RECORD_TYPE: cls
    for cls in (Passenger, FlightLeg, Booking, Party, Consignment, Declaration, CrawledPage, Rejection)
}


def record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a typed record from its JSON form (as found on Kafka or in Elasticsearch)."""
    cls = RECORD_TYPES.get(str(data.get("record_type")))
    if cls is None:
        raise ValueError(f"unknown record_type {data.get('record_type')!r}")
    return cls.model_validate(data)
