"""PNR data retention: depersonalise PNR records after six months, delete them after five years.

The periods run from ``received_at`` (when Sekisho received the PNR push) and the clock is an explicit
``as_of`` argument, never the wall clock, so the policy is testable and replayable. Only records that
came from PNRGOV (``source_format == "pnrgov"``: bookings and the passengers read from them) are in
scope; API (PAXLST) passengers and cargo records have their own rules.

Every dead letter (``Rejection``) is covered too, whatever its format: its raw payload may be a PNR
the sniffer did not recognise (a typo in UNH), and a rejection cannot tell. Masking drops the payload.

What the records gave rise to elsewhere (graph nodes and edges, alerts, risk explanations quoting
names) follows them: ``targeting.retention_cascade`` deletes or masks it in the same run. The original
of a masked booking or passenger is sealed (``SealedRecord``: stored, not indexed, reachable only by
an approved re-identification, ``targeting.api.reidentify``) and deleted with the record.

Depersonalising masks what identifies a person (after Directive (EU) 2016/681, art. 12): names,
dates of birth and travel documents, addresses and contacts, every form of payment information,
free-text remarks and what enrichment derived from them (personal identifiers, name mentions,
watchlist hits). What remains (route, dates, carrier, ids, risk score) still validates against
``schemas.records`` and keeps aggregate analysis possible.

The pure functions (``retention_action``, ``depersonalise``, ``plan``) hold the policy; ``apply``
executes it on Elasticsearch through ``sekisho.es_io``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from schemas.documents import SealedRecord
from schemas.indexed import SEALED_TYPE
from schemas.records import Booking, Identifier, Passenger, Record, Rejection, record_from_dict
from sekisho.settings import Settings

T = TypeVar("T")
PNR_SOURCE_FORMAT = "pnrgov"
# Dead letters keep the raw payload, names and all: they fall under the same policy.
PNR_RECORD_TYPES: tuple[str, ...] = (Booking.RECORD_TYPE, Passenger.RECORD_TYPE, Rejection.RECORD_TYPE)
MASKED_NAME = "[depersonalised]"
MASKED_DETAIL = "[depersonalised]"
# Identifier schemes that describe goods and transport, not people: they survive depersonalisation.
NON_PERSONAL_SCHEMES: frozenset[str] = frozenset({"container", "imo", "awb", "hs_code"})


class Action(StrEnum):
    KEEP = "keep"
    DEPERSONALISE = "depersonalise"
    DELETE = "delete"


@dataclass(frozen=True)
class RetentionPolicy:
    """Periods in calendar months, measured back from the ``as_of`` clock."""

    depersonalise_after_months: int = 6
    delete_after_months: int = 5 * 12

    def depersonalise_before(self, as_of: datetime) -> datetime:
        """Records received before this instant are due for depersonalisation."""
        return months_before(as_of, self.depersonalise_after_months)

    def delete_before(self, as_of: datetime) -> datetime:
        return months_before(as_of, self.delete_after_months)


DEFAULT_POLICY = RetentionPolicy()


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock instant ``months`` calendar months earlier (the day clamped to the month's end)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_scope(record: Record) -> bool:
    if isinstance(record, Rejection):  # recognised or not: the payload may be a whole PNR
        return True
    return record.source_format == PNR_SOURCE_FORMAT and record.record_type in PNR_RECORD_TYPES


def is_depersonalised(record: Record) -> bool:
    if isinstance(record, Booking):
        return record.depersonalised_at is not None
    if isinstance(record, Rejection):
        return record.raw is None and record.detail == MASKED_DETAIL
    return isinstance(record, Passenger) and record.full_name == MASKED_NAME


def retention_action(record: Record, as_of: datetime, policy: RetentionPolicy = DEFAULT_POLICY) -> Action:
    """What the policy does with one record at ``as_of``. Records without ``received_at`` are kept
    (their age is unknown; the validation stage flags them)."""
    if not in_scope(record) or record.received_at is None:
        return Action.KEEP
    received, now = as_utc(record.received_at), as_utc(as_of)
    if received < policy.delete_before(now):
        return Action.DELETE
    if received < policy.depersonalise_before(now) and not is_depersonalised(record):
        return Action.DEPERSONALISE
    return Action.KEEP


def _enrichment_masked(record: Record) -> dict[str, Any]:
    kept: list[Identifier] = [i for i in record.identifiers if i.scheme in NON_PERSONAL_SCHEMES]
    risk = record.risk.model_copy(update={"reasons": []}) if record.risk is not None else None
    return {"identifiers": kept, "mentions": [], "screening": [], "risk": risk}


def depersonalise(record: Record, as_of: datetime) -> Record:
    """The masked copy of a PNR booking, passenger or dead letter (other records are returned unchanged)."""
    if isinstance(record, Booking):
        return record.model_copy(update={
            **_enrichment_masked(record),
            "form_of_payment": None, "payment_card": None, "payment_amount": None, "payment_currency": None,
            "payer_name": None,
            "phones": [], "emails": [], "addresses": [], "remarks": [],
            "depersonalised_at": as_utc(as_of),
        })
    if isinstance(record, Passenger):
        return record.model_copy(update={
            **_enrichment_masked(record),
            "surname": None, "given_names": None, "full_name": MASKED_NAME, "date_of_birth": None,
            "gender": None, "nationality": None, "country_of_residence": None, "documents": [],
            "address": None, "phones": [], "emails": [],
        })
    if isinstance(record, Rejection):
        # the payload and the parser's detail may quote it; the digest, size and reason stay for auditing
        return record.model_copy(update={**_enrichment_masked(record), "raw": None, "detail": MASKED_DETAIL})
    return record


@dataclass
class RetentionPlan:
    """What one run does: the masked records to write back and the ids to delete, by record type."""

    as_of: datetime
    depersonalised: list[Record] = field(default_factory=list)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    kept: int = 0

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.depersonalised:
            key = f"{record.record_type}.depersonalised"
            counts[key] = counts.get(key, 0) + 1
        for record_type, ids in self.deleted.items():
            counts[f"{record_type}.deleted"] = len(ids)
        counts["kept"] = self.kept
        return counts


def plan(records: Iterable[Record], as_of: datetime, policy: RetentionPolicy = DEFAULT_POLICY) -> RetentionPlan:
    result = RetentionPlan(as_of=as_of)
    for record in records:
        action = retention_action(record, as_of, policy)
        if action is Action.DELETE:
            result.deleted.setdefault(record.record_type, []).append(record.id)
        elif action is Action.DEPERSONALISE:
            result.depersonalised.append(depersonalise(record, as_of))
        else:
            result.kept += 1
    return result


# ---------------------------------------------------------------------------------------------------
# Elasticsearch application


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat()


def _scope_filter(record_type: str) -> list[dict[str, Any]]:
    if record_type == Rejection.RECORD_TYPE:
        return [{"term": {"record_type": record_type}}]
    return [{"term": {"source_format": PNR_SOURCE_FORMAT}}, {"term": {"record_type": record_type}}]


def delete_query(record_type: str, as_of: datetime, policy: RetentionPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    return {"bool": {"filter": [
        *_scope_filter(record_type),
        {"range": {"received_at": {"lt": _iso(policy.delete_before(as_of))}}},
    ]}}


def depersonalise_query(record_type: str, as_of: datetime, policy: RetentionPolicy = DEFAULT_POLICY
                        ) -> dict[str, Any]:
    """Due for masking and not yet masked (so a second run finds nothing to do)."""
    done: Mapping[str, Any] = {
        Booking.RECORD_TYPE: {"exists": {"field": "depersonalised_at"}},
        Rejection.RECORD_TYPE: {"term": {"detail.keyword": MASKED_DETAIL}},
    }.get(record_type, {"term": {"full_name.keyword": MASKED_NAME}})
    return {"bool": {
        "filter": [
            *_scope_filter(record_type),
            {"range": {"received_at": {"lt": _iso(policy.depersonalise_before(as_of)),
                                       "gte": _iso(policy.delete_before(as_of))}}},
        ],
        "must_not": [dict(done)],
    }}


def apply(as_of: datetime, *, dry_run: bool = False, policy: RetentionPolicy = DEFAULT_POLICY,
          settings: Settings) -> dict[str, int]:
    """Run the policy on the Elasticsearch indices; returns counts per record type and action.

    Deletion runs first (so nothing is masked only to be deleted): each chunk of due records first
    takes its graph documents and alerts with it (``retention_cascade.forget``), then goes. Due
    records are then scanned, masked by ``depersonalise``, written back under the same id, and their
    graph and alerts masked (``retention_cascade.mask``). ``dry_run`` only counts the records.
    """
    from sekisho import es_io  # the Elasticsearch adapter is needed only here, not by the policy
    from targeting import retention_cascade as cascade

    chunk = settings.es_bulk_chunk
    counts: dict[str, int] = {f"{t}.{action}": 0 for t in PNR_RECORD_TYPES for action in ("deleted", "depersonalised")}
    counts.update(cascade.empty_counts())
    counts["pnr_sealed.sealed"] = counts["pnr_sealed.deleted"] = 0
    present = [t for t in PNR_RECORD_TYPES if es_io.count(t, settings) > 0]  # 0 also when the index is missing
    for record_type in present:
        query = delete_query(record_type, as_of, policy)
        if dry_run:
            counts[f"{record_type}.deleted"] = es_io.count(record_type, settings, query)
            continue
        for ids in _chunks((str(doc["id"]) for doc in es_io.scan(record_type, query, settings)), chunk):
            if record_type != Rejection.RECORD_TYPE:  # dead letters link nothing
                cascade.add_counts(counts, cascade.forget(ids, settings))
            counts[f"{record_type}.deleted"] += es_io.delete_by_query(record_type, {"ids": {"values": ids}},
                                                                       settings)
    if not dry_run:  # graph documents of records deleted before the graph followed them
        cascade.add_counts(counts, cascade.sweep_orphans(settings))
    for record_type in present:
        query = depersonalise_query(record_type, as_of, policy)
        if dry_run:
            counts[f"{record_type}.depersonalised"] = es_io.count(record_type, settings, query)
            continue
        originals = (record_from_dict(source) for source in es_io.scan(record_type, query, settings))
        for originals_batch in _chunks(originals, chunk):
            if record_type != Rejection.RECORD_TYPE:  # a dead letter's payload is not kept for re-identification
                counts["pnr_sealed.sealed"] += es_io.write_records(
                    [sealed(record, as_of, policy) for record in originals_batch], settings)
            batch = [depersonalise(record, as_of) for record in originals_batch]
            counts[f"{record_type}.depersonalised"] += es_io.write_records(batch, settings)
            if record_type != Rejection.RECORD_TYPE:
                cascade.add_counts(counts, cascade.mask(batch, settings))
    if not dry_run and es_io.count(SEALED_TYPE, settings) > 0:
        due = {"range": {"delete_after": {"lt": _iso(as_of)}}}
        counts["pnr_sealed.deleted"] = es_io.delete_by_query(SEALED_TYPE, due, settings)
    if not dry_run:
        es_io.refresh(settings)
    return counts


def sealed(record: Record, as_of: datetime, policy: RetentionPolicy = DEFAULT_POLICY) -> SealedRecord:
    """The original of a record about to be masked, kept until the record's deletion date."""
    received = as_utc(record.received_at or as_of)
    return SealedRecord(id=record.id, record_type=record.record_type, record=record.model_dump(mode="json"),
                        sealed_at=as_utc(as_of), delete_after=months_before(received, -policy.delete_after_months))


def _chunks(items: Iterable[T], size: int) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def parse_as_of(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 timestamp; naive times are UTC."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    return as_utc(datetime.fromisoformat(value))
