"""The data the API reads and writes, behind one small protocol.

``EsStore`` (Elasticsearch, what ``sekisho serve`` uses) and ``MemoryStore`` (unit tests, the bundled
sample) implement it; the routes never see which one they talk to. Its graph half is exactly
``graph.analytics.NeighbourSource``, so the graph package's analytics run on either, and with
``arrivals`` it is a ``targets.ArrivalSource``, so targeting scores its records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from graph.model import Edge, Node
from schemas.documents import Alert, AuditEvent, InspectionResult
from schemas.records import FlightLeg, Record
from targeting.api.views import SearchHit, SourceReport, WatchlistEntry, WatchlistFilter


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

    def save_inspection(self, result: InspectionResult) -> list[str]:
        """Store an officer's result; returns what could not be done (empty when all went well)."""
        ...

    def inspections(self, record_id: str) -> list[InspectionResult]: ...

    # Enforcement's watchlist and the audit trail.
    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]: ...

    def audit(self, event: AuditEvent) -> None: ...

    def audit_events(self, limit: int) -> list[AuditEvent]: ...

    # What each feed source produced (records, warnings, dead letters), for the analyst page.
    def source_reports(self, limit: int) -> list[SourceReport]: ...
