"""The screening stage: the people, companies and vessels a record names, screened against the lists.

Queries come from the record's own name fields (with the evidence the record carries: date of
birth, nationality, document and vessel numbers) and from the PER/ORG mentions NER found in its
text. Every hit at or above the threshold becomes a ``ScreeningHit``: a lead for review, never a
verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from enrichment.screening.decisions import ClearedPairs, subject_key
from enrichment.screening.index import ScreeningIndex
from enrichment.screening.loaders import compact_identifier
from enrichment.screening.matcher import Subject
from enrichment.screening.names import kind_of, prepare_name
from schemas.records import (
    Booking,
    Consignment,
    CrawledPage,
    Declaration,
    Party,
    Passenger,
    Record,
    ScreeningHit,
)

_PARTY_SCHEMAS = {"Person": "Person", "Organization": "Company", "Company": "Company", "LegalEntity": "LegalEntity"}
_MENTION_SCHEMAS = {"PER": "Person", "ORG": "Company"}
_LIST_SCHEMAS = ("Person", "Company", "Vessel", "Aircraft")


@dataclass(frozen=True)
class ScreeningQuery:
    """One thing in a record to screen: a name (maybe empty for a bare vessel number) and its evidence."""

    field: str
    name: str
    schema: str = "LegalEntity"
    birth_date: str | None = None
    countries: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()


def queries_of(record: Record) -> Iterator[ScreeningQuery]:
    """What a record asks to screen, by record type, then the names NER found in its text."""
    if isinstance(record, Passenger):
        documents = tuple(
            ("passport", compact_identifier(doc.number))
            for doc in record.documents
            if (doc.doc_type or "P").upper().startswith("P")
        )
        yield ScreeningQuery(
            field="full_name",
            name=record.full_name,
            schema="Person",
            birth_date=record.date_of_birth.isoformat() if record.date_of_birth else None,
            countries=tuple(c.lower() for c in (record.nationality,) if c),
            identifiers=documents,
        )
    elif isinstance(record, Party):
        yield ScreeningQuery(field="name", name=record.name, schema=_PARTY_SCHEMAS[record.schema_name])
    elif isinstance(record, Consignment):
        for field in ("shipper_name", "consignee_name"):
            if name := getattr(record, field):
                yield ScreeningQuery(field=field, name=name)
        if record.vessel_imo:
            yield ScreeningQuery(
                field="vessel_imo",
                name="",
                schema="Vessel",
                identifiers=(("imo", compact_identifier(record.vessel_imo, "imo")),),
            )
    elif isinstance(record, Booking):
        for field in ("payer_name", "travel_agency"):
            if name := getattr(record, field):
                yield ScreeningQuery(field=field, name=name)
    elif isinstance(record, Declaration):
        for field in ("importer_name", "exporter_name", "declarant_name"):
            if name := getattr(record, field):
                yield ScreeningQuery(field=field, name=name)
    elif isinstance(record, CrawledPage) and record.seller:
        yield ScreeningQuery(field="seller", name=record.seller)
    for identifier in record.identifiers:
        if identifier.scheme == "imo" and identifier.valid:
            yield ScreeningQuery(
                field=identifier.source_field or "identifiers",
                name="",
                schema="Vessel",
                identifiers=(("imo", identifier.value),),
            )
    seen: set[tuple[str, str]] = set()
    for mention in record.mentions:
        schema = _MENTION_SCHEMAS.get(mention.label)
        if schema is None or (mention.text, schema) in seen:
            continue
        seen.add((mention.text, schema))
        yield ScreeningQuery(field=f"mentions.{mention.field or 'text'}", name=mention.text, schema=schema)


def query_subject_key(query: ScreeningQuery) -> str:
    """The key analysts' decisions on this query's hits are stored under."""
    return subject_key(query.name, query.schema, query.birth_date, query.identifiers)


def screen_query(
    query: ScreeningQuery,
    index: ScreeningIndex,
    threshold: float,
    max_hits: int,
    cleared: ClearedPairs | None = None,
) -> list[ScreeningHit]:
    key = query_subject_key(query) if cleared is not None and cleared.pairs else None
    subject = Subject(
        names=(prepare_name(query.name, kind_of(query.schema)),) if query.name.strip() else (),
        birth_dates=(query.birth_date,) if query.birth_date else (),
        countries=frozenset(query.countries),
        identifiers=frozenset(query.identifiers),
    )
    restrict = query.schema if query.schema in _LIST_SCHEMAS else None
    hits = []
    for match in index.screen(subject, limit=max_hits, min_score=threshold, schema=restrict):
        if key is not None and cleared is not None and cleared.clears(key, match.entry):
            continue  # an analyst cleared this pair as a false positive (and the entry has not changed)
        hits.append(
            ScreeningHit(
                entry_id=match.entry.entry_id,
                list_name=match.entry.list_name,
                matched_name=match.comparison.names.right or match.entry.caption,
                query_name=query.name or " ".join(value for _, value in query.identifiers),
                score=round(match.score, 4),
                explanation=match.comparison.explanation,
                schema_name=match.entry.schema,
                field=query.field,
            )
        )
    return hits


def screen_record(
    record: Record,
    index: ScreeningIndex,
    threshold: float,
    max_hits: int,
    cleared: ClearedPairs | Callable[[], ClearedPairs] | None = None,
) -> Record:
    """The enrichment stage: a copy of ``record`` with ``screening`` filled (hits sorted by score).

    ``threshold`` and ``max_hits`` (per query) are the deployment's ``screening_threshold`` and
    ``screening_max_hits`` settings, passed in by the stage factory. A record with nothing to screen
    comes back unchanged. ``cleared`` (or a callable returning the current ones) holds the pairs analysts
    cleared as false positives; those hits are left out.
    """
    pairs = cleared() if callable(cleared) else cleared
    hits: dict[tuple[str, str | None], ScreeningHit] = {}
    for query in queries_of(record):
        for hit in screen_query(query, index, threshold, max_hits, pairs):
            key = (hit.entry_id, hit.field)
            if key not in hits or hit.score > hits[key].score:
                hits[key] = hit
    if not hits:
        return record
    ordered = sorted(hits.values(), key=lambda hit: (-hit.score, hit.entry_id, hit.field or ""))
    return record.model_copy(update={"screening": ordered})
