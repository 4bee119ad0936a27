"""An in-process ``Store``: the API's unit tests and ``sekisho serve --sample`` run on it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from graph.analytics import InMemoryGraph
from graph.keys import flight_number_key
from graph.model import Edge, Node, edge
from resolution.clusters import Resolver
from resolution.graph_links import entity_edges
from resolution.store import refresh_entities
from schemas.documents import (
    Alert,
    AlertTriage,
    AuditEvent,
    Case,
    EntityMembership,
    InspectionResult,
    MatchJudgement,
    Reidentification,
    SavedSearch,
    ScreeningDecision,
    SealedRecord,
)
from schemas.records import Consignment, FlightLeg, Passenger, Record, Rejection, record_from_dict
from targeting.api.views import SearchHit, SourceReport, WatchlistEntry, WatchlistFilter
from targeting.saved_searches import Match


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_text_of(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text_of(v) for v in value)
    return "" if value is None else str(value)


def arrival_port(record: Record) -> str | None:
    """Where a passenger or consignment arrives (``None`` for other records)."""
    if isinstance(record, Passenger):
        return (record.debarkation or "").upper() or None
    if isinstance(record, Consignment):
        return (record.port_of_arrival or record.destination or "").upper() or None
    return None


def arrived_at(doc: dict[str, Any]) -> datetime | None:
    """When a record reached the index (``indexed_at``, else when its message was received)."""
    stamp = doc.get("indexed_at") or doc.get("received_at")
    if not stamp:
        return None
    when = datetime.fromisoformat(str(stamp))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def mentions(event: AuditEvent, ids: Sequence[str]) -> bool:
    """Whether an audit entry's path or parameters name one of ``ids``."""
    text = " ".join([event.path, *event.params.values()])
    return any(i in text for i in ids)


def watchlist_matches(entry: WatchlistEntry, flt: WatchlistFilter) -> bool:
    if flt.lists and entry.list_name not in flt.lists:
        return False
    if flt.min_risk is not None and (entry.risk is None or entry.risk < flt.min_risk):
        return False
    return not (flt.since is not None and (entry.updated is None or entry.updated < flt.since))


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.graph = InMemoryGraph()
        self.documents: dict[str, dict[str, Any]] = {}
        self.alert_list: list[Alert] = []
        self.watchlist_entries: list[WatchlistEntry] = []
        self.inspection_results: list[InspectionResult] = []
        self.audit_log: list[AuditEvent] = []
        self.resolver = Resolver()
        self.judgement_log: list[MatchJudgement] = []
        self.sealed_records: dict[str, SealedRecord] = {}
        self.reidentifications: dict[str, Reidentification] = {}
        self.triage_docs: dict[str, AlertTriage] = {}
        self.decisions: dict[str, ScreeningDecision] = {}
        self.searches: dict[str, SavedSearch] = {}
        self.case_docs: dict[str, Case] = {}

    def add_records(self, records: Iterable[Record]) -> None:
        kept = list(records)
        now = datetime.now(UTC).isoformat()
        for record in kept:
            doc = record.model_dump(mode="json", exclude_none=True)
            doc.setdefault("indexed_at", now)  # as the stream's writer stamps what it sends to the index
            self.documents[record.id] = doc
        changes = self.resolver.add(kept)
        self.graph.add([], entity_edges(self.resolver, refresh_entities(self.resolver, changes)))

    def entity_of(self, record_id: str) -> str | None:
        return self.resolver.entity_of(record_id) if record_id in self.resolver else None

    def entities_of(self, record_ids: Sequence[str]) -> dict[str, str]:
        return {record_id: found.entity_id for record_id, found in self.memberships_of(record_ids).items()}

    def memberships_of(self, record_ids: Sequence[str]) -> dict[str, EntityMembership]:
        found = ((record_id, self.resolver.membership(record_id)) for record_id in record_ids)
        return {record_id: membership for record_id, membership in found if membership is not None}

    def entity_members(self, entity_id: str) -> list[EntityMembership]:
        members = self.resolver.members(entity_id) if entity_id in self.resolver else []
        return [m for m in (self.resolver.membership(i) for i in members) if m is not None]

    def judgements_of(self, record_ids: Sequence[str]) -> list[MatchJudgement]:
        wanted = set(record_ids)
        touching = [j for j in self.judgement_log if j.left in wanted or j.right in wanted]
        return sorted(touching, key=lambda j: (j.judged_at, j.id), reverse=True)

    def save_judgement(self, judgement: MatchJudgement) -> list[EntityMembership]:
        with self._lock:
            self.judgement_log.append(judgement)
            changes = self.resolver.judge(judgement)
            affected = refresh_entities(self.resolver, changes)
            self.graph.remove_edges(edge("same_as", record_id, entity).id for record_id, entity in changes.left.items())
            self.graph.add([], entity_edges(self.resolver, affected))
            return [m for m in (self.resolver.membership(i) for i in sorted(affected)) if m is not None]

    def _records(self) -> list[Record]:
        return [record_from_dict(doc) for doc in self.documents.values() if "record_type" in doc]

    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]:
        """Every query word must occur in the node's label or its record; riskiest first."""
        tokens = [t for t in text.casefold().split() if t]
        hits: list[SearchHit] = []
        for node in self.graph.all().nodes.values():
            kind = node.record_type or node.kind
            if kinds and kind not in kinds and node.kind not in kinds:
                continue
            haystack = f"{node.label} {node.value or ''} {_text_of(self.documents.get(node.id))}".casefold()
            if tokens and all(t in haystack for t in tokens):
                risk = max(node.graph_risk, node.screening_score)
                hits.append(
                    SearchHit(
                        id=node.id,
                        kind=kind,
                        label=node.label,
                        score=1.0,
                        risk=round(risk, 4) or None,
                        watchlisted=node.watchlisted,
                    )
                )
        hits.sort(key=lambda h: (-(h.risk or 0.0), h.label))
        return hits[:limit]

    def matches_since(self, query: str, kinds: Sequence[str], since: datetime, limit: int) -> list[Match]:
        """Records holding every query word that arrived at or after ``since``, oldest first."""
        tokens = [t for t in query.casefold().split() if t]
        found: list[Match] = []
        for record_id, doc in list(self.documents.items()):  # a snapshot: the serve loop runs beside requests
            kind = str(doc.get("record_type", ""))
            when = arrived_at(doc)
            if not kind or kind == "rejection" or (kinds and kind not in kinds) or when is None or when < since:
                continue
            node = next(iter(self.graph.nodes([record_id])), None)
            haystack = f"{node.label if node else ''} {_text_of(doc)}".casefold()
            if not tokens or not all(t in haystack for t in tokens):
                continue
            risk = max(node.graph_risk, node.screening_score) if node else None
            record = record_from_dict(doc)
            found.append(Match(record_id=record_id, kind=kind, label=node.label if node else record_id,
                               arrived_at=when, risk=round(risk, 4) if risk else None, port=arrival_port(record)))
        found.sort(key=lambda m: (m.arrived_at, m.record_id))
        return found[:limit]

    def known_alert_keys(self, keys: Sequence[str]) -> set[str]:
        wanted = set(keys)
        return {a.key for a in list(self.alert_list) if a.key in wanted}

    def save_alerts(self, alerts: Sequence[Alert]) -> None:
        with self._lock:
            kept = {a.id for a in alerts}
            self.alert_list = [a for a in self.alert_list if a.id not in kept] + list(alerts)

    def saved_searches(self, owner_key_id: str | None) -> list[SavedSearch]:
        with self._lock:
            kept = list(self.searches.values())
        mine = (s for s in kept if owner_key_id is None or s.owner_key_id == owner_key_id)
        return sorted(mine, key=lambda s: (s.created_at, s.id), reverse=True)

    def saved_search(self, search_id: str) -> SavedSearch | None:
        return self.searches.get(search_id)

    def save_search(self, search: SavedSearch) -> None:
        with self._lock:
            self.searches[search.id] = search

    def delete_search(self, search_id: str) -> bool:
        with self._lock:
            return self.searches.pop(search_id, None) is not None

    def cases(self, limit: int) -> list[Case]:
        return sorted(self.case_docs.values(), key=lambda c: (c.updated_at, c.id), reverse=True)[:limit]

    def case(self, case_id: str) -> Case | None:
        return self.case_docs.get(case_id)

    def save_case(self, case: Case) -> None:
        with self._lock:
            self.case_docs[case.id] = case

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        return self.graph.nodes(ids)

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        return self.graph.edges_touching(ids)

    def document(self, entity_id: str) -> dict[str, Any] | None:
        return self.documents.get(entity_id)

    def arrivals(self, port: str, day: date) -> list[Record]:
        return [r for r in self._records() if arrival_port(r) == port.upper()]

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        wanted = flight_number_key(carrier, flight_number)
        return [r for r in self._records()
                if isinstance(r, FlightLeg) and flight_number_key(r.carrier, r.flight_number) == wanted]

    def ports(self, day: date) -> list[str]:
        """Ports where a consignment or a passenger (on a flight of that day) arrives."""
        records = self._records()
        flights_of_day = {r.id for r in records if isinstance(r, FlightLeg) and r.flight_date == day}
        ports: set[str] = set()
        for record in records:
            port = arrival_port(record)
            if port is None:
                continue
            if (isinstance(record, Consignment) and record.arrival_date == day) or (
                isinstance(record, Passenger) and flights_of_day.intersection(record.flight_leg_ids)
            ):
                ports.add(port)
        return sorted(ports)

    def alerts(self, limit: int) -> list[Alert]:
        return sorted(self.alert_list, key=lambda a: a.created_at, reverse=True)[:limit]

    def alerts_keyed(self, key: str) -> list[Alert]:
        return sorted((a for a in self.alert_list if a.key == key), key=lambda a: a.created_at, reverse=True)

    def triages(self, keys: Sequence[str]) -> dict[str, AlertTriage]:
        return {k: self.triage_docs[k] for k in keys if k in self.triage_docs}

    def save_triage(self, triage: AlertTriage) -> None:
        with self._lock:
            self.triage_docs[triage.id] = triage

    def save_screening_decision(self, decision: ScreeningDecision) -> None:
        with self._lock:
            self.decisions[decision.id] = decision

    def screening_decisions(self, limit: int) -> list[ScreeningDecision]:
        newest = sorted(self.decisions.values(), key=lambda d: (d.decided_at, d.id), reverse=True)
        return newest[:limit]

    def screening_decision(self, decision_id: str) -> ScreeningDecision | None:
        return self.decisions.get(decision_id)

    def save_inspection(self, result: InspectionResult) -> list[str]:
        with self._lock:
            self.inspection_results.append(result)
        return []

    def inspections(self, record_id: str) -> list[InspectionResult]:
        return [r for r in self.inspection_results if r.record_id == record_id]

    def inspections_at(self, port: str) -> list[InspectionResult]:
        return [r for r in self.inspection_results if (r.port or "").upper() == port.upper()]

    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]:
        rows = sorted((e for e in self.watchlist_entries if watchlist_matches(e, flt)), key=lambda e: e.id)
        if after is not None:
            rows = [e for e in rows if e.id > after]
        return rows[:limit]

    def audit(self, event: AuditEvent) -> None:
        with self._lock:
            self.audit_log.append(event)

    def audit_events(self, limit: int) -> list[AuditEvent]:
        return list(reversed(self.audit_log))[:limit]

    def sealed(self, record_ids: Sequence[str]) -> list[SealedRecord]:
        return [self.sealed_records[i] for i in record_ids if i in self.sealed_records]

    def save_reidentification(self, request: Reidentification) -> None:
        with self._lock:
            self.reidentifications[request.id] = request

    def reidentification(self, request_id: str) -> Reidentification | None:
        return self.reidentifications.get(request_id)

    def alerts_about(self, record_ids: Sequence[str]) -> list[Alert]:
        wanted = set(record_ids)
        return [a for a in self.alert_list if a.record_id in wanted]

    def audit_mentioning(self, ids: Sequence[str]) -> list[AuditEvent]:
        return [e for e in self.audit_log if mentions(e, ids)]

    def source_reports(self, limit: int) -> list[SourceReport]:
        by_source: dict[str, list[Record]] = {}
        for record in self._records():
            if record.source:
                by_source.setdefault(record.source, []).append(record)
        reports = [source_report(source, records) for source, records in by_source.items()]
        reports.sort(key=lambda r: (-sum(r.records.values()) - sum(r.dead_letters.values()), r.source))
        return reports[:limit]


def source_report(source: str, records: Sequence[Record]) -> SourceReport:
    """Records by type, messages carrying each warning code, dead letters by reason."""
    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    messages_with: dict[str, set[str]] = {}
    for record in records:
        if isinstance(record, Rejection):
            reasons[record.reason] += 1
        else:
            kinds[record.record_type] += 1
        for warning in record.parse_warnings:
            messages_with.setdefault(warning.code, set()).add(record.message_id or record.id)
    warnings = {code: len(messages) for code, messages in sorted(messages_with.items())}
    return SourceReport(source=source, records=dict(kinds), warnings=warnings, dead_letters=dict(reasons))
