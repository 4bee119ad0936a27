"""The data the API reads and writes, behind one small protocol.

``EsStore`` (Elasticsearch, what ``sekisho serve`` uses) and ``MemoryStore`` (unit tests, no stack)
implement it; the routes never see which one they talk to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any, Protocol

from targeting.api.views import (
    AlertView,
    AuditEvent,
    GraphEdge,
    GraphNode,
    InspectionResult,
    QueueEntry,
    SearchHit,
    Subscription,
    WatchlistEntry,
    WatchlistFilter,
)


class Store(Protocol):
    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]: ...

    def nodes(self, ids: Collection[str]) -> dict[str, GraphNode]: ...

    def document(self, entity_id: str) -> dict[str, Any] | None: ...

    def edges_touching(self, ids: Collection[str], limit: int) -> list[GraphEdge]: ...

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
