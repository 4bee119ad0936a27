"""The data the API reads and writes, behind one small protocol.

``EsStore`` (Elasticsearch, what ``sekisho serve`` uses) and ``MemoryStore`` (unit tests, no stack)
implement it; the routes never see which one they talk to. Its graph half is exactly
``graph.analytics.NeighbourSource``, so the graph package's analytics run on either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from graph.model import Edge, Node
from targeting.api.views import (
    AlertView,
    AuditEvent,
    InspectionResult,
    QueueEntry,
    SearchHit,
    Subscription,
    WatchlistEntry,
    WatchlistFilter,
)


class Store(Protocol):
    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]: ...

    # The link graph, as ``graph.analytics.NeighbourSource`` reads it.
    def nodes(self, ids: Iterable[str]) -> list[Node]: ...

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]: ...

    def document(self, entity_id: str) -> dict[str, Any] | None:
        """The record behind an entity id (its indexed JSON form), if the entity is a record."""
        ...

    def queue(self, port: str, day: date) -> list[QueueEntry]: ...

    def ports(self, day: date) -> list[str]: ...

    def save_inspection(self, result: InspectionResult) -> None: ...

    def inspections(self, record_id: str) -> list[InspectionResult]: ...

    def alerts(self, limit: int) -> list[AlertView]: ...

    def save_subscription(self, subscription: Subscription) -> None: ...

    def subscriptions(self) -> list[Subscription]: ...

    def delete_subscription(self, subscription_id: str) -> bool: ...

    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]: ...

    def audit(self, event: AuditEvent) -> None: ...

    def audit_events(self, limit: int) -> list[AuditEvent]: ...
