"""Re-screening what was already seen when a list changes, and the alerts it raises.

A list refresh (the crawler stores each new version by content hash) changes some entries. The
travellers arriving within the window (``rescreen_arrival_hours``, 72 h by default), the consignments not
yet released (no ``DLV`` status) and the known companies are screened again against the changed
entries only (``enrichment.screening.rescreen``); each new hit becomes an alert "new on list X since …".

``sekisho screen rescreen`` runs it: against ``--before`` (a list directory), or against the list files
it screened last time (``ListBaseline``, kept under ``SEKISHO_HOME``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from enrichment.screening.entries import WatchlistEntry
from enrichment.screening.loaders import load_all
from enrichment.screening.rescreen import NewHit
from schemas.documents import Alert, Severity
from schemas.records import Consignment, FlightLeg, Party, Passenger, Record, make_id, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings

RELEASED = "DLV"  # Cargo-IMP status: delivered to the consignee, out of customs' hands
COMPANY_SCHEMAS = ("Company", "Organization", "LegalEntity")


def in_window(record: Record, legs: Mapping[str, FlightLeg], now: datetime, hours: float) -> bool:
    """Whether a record is still worth re-screening: a traveller arriving within ``hours`` of ``now``, a
    consignment not yet released, a known company."""
    if isinstance(record, Passenger):
        until = now + timedelta(hours=hours)
        for leg_id in record.flight_leg_ids:
            leg = legs.get(leg_id)
            if leg is None:
                continue
            arrives = leg.arrival_time or (
                datetime.combine(leg.flight_date, datetime.min.time(), UTC) if leg.flight_date else None)
            if arrives is not None:
                arrives = arrives if arrives.tzinfo else arrives.replace(tzinfo=UTC)
                # a flight of today counts until the day is over (its time may be unknown)
                if now - timedelta(hours=24) <= arrives <= until:
                    return True
        return False
    if isinstance(record, Consignment):
        return not any(event.code == RELEASED for event in record.status_events)
    if isinstance(record, Party):
        return record.schema_name in COMPANY_SCHEMAS
    return False


def _docs(type_name: str, query: dict[str, Any] | None, settings: Settings) -> Iterator[Record]:
    for doc in es_io.scan(type_name, query, settings):
        yield record_from_dict(doc)


def seen_in_window(settings: Settings, now: datetime, hours: float) -> Iterator[Record]:
    """The indexed travellers, consignments and companies ``in_window`` (read from Elasticsearch)."""
    first, last = (now - timedelta(hours=24)).date(), (now + timedelta(hours=hours)).date()
    dated = {"range": {"flight_date": {"gte": first.isoformat(), "lte": last.isoformat()}}}
    legs = {leg.id: leg for leg in _docs("flight_leg", dated, settings) if isinstance(leg, FlightLeg)}
    if legs:
        for passenger in _docs("passenger", {"terms": {"flight_leg_ids": sorted(legs)}}, settings):
            if in_window(passenger, legs, now, hours):
                yield passenger
    for record in _docs("consignment", None, settings):
        if in_window(record, legs, now, hours):
            yield record
    for record in _docs("party", {"terms": {"schema_name": list(COMPANY_SCHEMAS)}}, settings):
        if in_window(record, legs, now, hours):
            yield record


def _label(record: Record) -> str:
    for name in ("full_name", "name", "transport_document"):
        value = getattr(record, name, None)
        if value:
            return str(value)
    return record.id


def rescreen_alert(found: NewHit, since: date, now: datetime) -> Alert:
    """The alert of a new hit: one per record and list entry (re-running the command raises it once)."""
    record, hit = found.record, found.hit
    kind = "traveller" if record.record_type == "passenger" else record.record_type
    severity: Severity = "critical" if hit.score >= 0.9 else "high" if hit.score >= 0.8 else "medium"
    key = f"{record.record_type}:{record.id}:list:{hit.entry_id}"
    port = getattr(record, "debarkation", None) or getattr(record, "port_of_arrival", None)
    return Alert(
        id=make_id("alert", key, since.isoformat()),
        key=key,
        record_id=record.id,
        record_type=record.record_type,
        label=_label(record),
        score=hit.score,
        severity=severity,
        title=f"new on list {hit.list_name} since {since.isoformat()}: {kind} {_label(record)} "
              f"matches {hit.matched_name}",
        reasons=[f"list {hit.list_name} changed on {since.isoformat()}: entry {hit.entry_id} "
                 f"({hit.matched_name}) now matches {hit.field or 'the record'} {hit.query_name!r}"],
        explanation=[f"screening: {hit.explanation} (score {hit.score:.2f})"],
        port=str(port).upper() if port else None,
        created_at=now,
    )


class ListBaseline:
    """A copy of the list files the last re-screening ran against (crawled files are immutable, the bundled
    snapshot is not: a copy is the only baseline that cannot move under us)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def entries(self) -> list[WatchlistEntry] | None:
        return load_all(self.directory) if self.directory.is_dir() else None

    def save(self, lists_dir: Path) -> None:
        partial = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(lists_dir, partial)
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            os.replace(self.directory, old)
        os.replace(partial, self.directory)
        shutil.rmtree(old, ignore_errors=True)


def write_alerts(alerts: Iterable[Alert], settings: Settings) -> int:
    kept = list(alerts)
    if kept:
        es_io.ensure_types(["alert"], settings)
        es_io.write_records(kept, settings)
        es_io.refresh(settings)
    return len(kept)
