"""The data the API reads and writes, behind one small protocol.

``EsStore`` (Elasticsearch, what ``sekisho serve`` uses) and ``MemoryStore`` (unit tests, the bundled
sample) implement it; the routes never see which one they talk to. Its graph half is exactly
``graph.analytics.NeighbourSource``, so the graph package's analytics run on either, and with
``arrivals`` it is a ``targets.ArrivalSource``, so targeting scores its records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from graph.model import Edge, Node
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
from schemas.records import FlightLeg, Record
from targeting.api.views import SearchHit, SourceReport, WatchlistEntry, WatchlistFilter
from targeting.saved_searches import Match


class Store(Protocol):
    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]: ...

    # The link graph, as ``graph.analytics.NeighbourSource`` reads it.
    def nodes(self, ids: Iterable[str]) -> list[Node]: ...

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]: ...

    def document(self, entity_id: str) -> dict[str, Any] | None:
        """The record behind an entity id (its indexed JSON form), if the entity is a record."""
        ...

    # Targeting inputs and outputs.
    def arrivals(self, port: str, day: date) -> list[Record]:
        """Passengers and consignments that may arrive at ``port`` on ``day`` (a superset is fine)."""
        ...

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        """Flight legs with this designator (however the feeds spelled the number)."""
        ...

    def ports(self, day: date) -> list[str]: ...

    def alerts(self, limit: int) -> list[Alert]: ...

    # Alert triage (targeting/triage.py): one document per alert key.
    def alerts_keyed(self, key: str) -> list[Alert]:
        """Every alert of one key (one target), newest first."""
        ...

    def triages(self, keys: Sequence[str]) -> dict[str, AlertTriage]: ...

    def save_triage(self, triage: AlertTriage) -> None: ...

    # Match review: analysts' decisions on screening hits (one document per subject and list entry).
    def save_screening_decision(self, decision: ScreeningDecision) -> None: ...

    def screening_decisions(self, limit: int) -> list[ScreeningDecision]:
        """The latest decisions, newest first (reversed ones included)."""
        ...

    def screening_decision(self, decision_id: str) -> ScreeningDecision | None: ...

    def save_inspection(self, result: InspectionResult) -> list[str]:
        """Store an officer's result; returns what could not be done (empty when all went well)."""
        ...

    def inspections(self, record_id: str) -> list[InspectionResult]: ...

    def inspections_at(self, port: str) -> list[InspectionResult]:
        """Inspection results recorded at ``port`` (each queue lane's hit rate is computed from them)."""
        ...

    # Entity resolution: which canonical entity a record belongs to, its members, analysts' judgements.
    def entity_of(self, record_id: str) -> str | None: ...

    def entities_of(self, record_ids: Sequence[str]) -> dict[str, str]:
        """The canonical entity of each resolved record among ``record_ids`` (one lookup for all)."""
        ...

    def memberships_of(self, record_ids: Sequence[str]) -> dict[str, EntityMembership]:
        """The entity membership (entity id, members, reasons) of each resolved record, in one lookup."""
        ...

    def entity_members(self, entity_id: str) -> list[EntityMembership]:
        """The membership of every record of an entity (empty when the entity was never resolved)."""
        ...

    def judgements_of(self, record_ids: Sequence[str]) -> list[MatchJudgement]:
        """Every judgement touching the records, newest first (the audit trail of their merges)."""
        ...

    def save_judgement(self, judgement: MatchJudgement) -> list[EntityMembership]:
        """Keep a judgement and apply it; returns the memberships it changed."""
        ...

    # Enforcement's watchlist and the audit trail.
    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]: ...

    def audit(self, event: AuditEvent) -> None: ...

    def audit_events(self, limit: int) -> list[AuditEvent]: ...

    # The data-subject report (targeting/api/subject_report.py).
    def alerts_about(self, record_ids: Sequence[str]) -> list[Alert]: ...

    def audit_mentioning(self, ids: Sequence[str]) -> list[AuditEvent]:
        """Audit entries whose path or parameters name one of ``ids`` (who looked at them)."""
        ...

    # Re-identification of depersonalised PNR records (targeting/api/reidentify.py).
    def sealed(self, record_ids: Sequence[str]) -> list[SealedRecord]:
        """The sealed originals of these (depersonalised) records."""
        ...

    def save_reidentification(self, request: Reidentification) -> None: ...

    def reidentification(self, request_id: str) -> Reidentification | None: ...

    # What each feed source produced (records, warnings, dead letters), for the analyst page.
    def source_reports(self, limit: int) -> list[SourceReport]: ...

    # Saved searches (targeting/saved_searches.py): each analyst's own, and what their runs read and write.
    def saved_searches(self, owner_key_id: str | None) -> list[SavedSearch]:
        """The searches of one key (None: everyone's), newest first."""
        ...

    def saved_search(self, search_id: str) -> SavedSearch | None: ...

    def save_search(self, search: SavedSearch) -> None: ...

    def delete_search(self, search_id: str) -> bool: ...

    def matches_since(self, query: str, kinds: Sequence[str], since: datetime, limit: int) -> list[Match]:
        """Records matching ``query`` that arrived (indexed) at or after ``since``, oldest first."""
        ...

    def known_alert_keys(self, keys: Sequence[str]) -> set[str]: ...

    def save_alerts(self, alerts: Sequence[Alert]) -> None: ...

    # Cases (targeting/cases.py).
    def cases(self, limit: int) -> list[Case]:
        """The latest cases, most recently changed first."""
        ...

    def case(self, case_id: str) -> Case | None: ...

    def save_case(self, case: Case) -> None: ...
