"""What the API answers and accepts: small frozen models, independent of how the data is stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class SearchHit(View):
    id: str
    kind: str  # record type (passenger, consignment...) or graph node kind (phone, company...)
    label: str
    score: float
    risk: float | None = None
    watchlisted: bool = False
    snippet: str | None = None


class GraphNode(View):
    id: str
    kind: str
    label: str
    risk: float | None = None  # propagated graph risk, 0..1
    watchlisted: bool = False
    seized: bool = False
    list_name: str | None = None
    explanation: str | None = None  # how the risk reached this node


class GraphEdge(View):
    id: str
    source: str
    target: str
    relation: str
    detail: str | None = None


class GraphPath(View):
    """A chain of edges from the entity to a watchlisted (or seized) node: why it carries risk."""

    nodes: list[str]
    edges: list[str]  # edge ids, in walking order
    target: str
    risk: float
    explanation: str


class GraphView(View):
    center: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    paths: list[GraphPath] = Field(default_factory=list)
    truncated: bool = False


class EntityCard(View):
    id: str
    kind: str
    label: str
    risk: float | None = None
    watchlisted: bool = False
    explanation: str | None = None
    document: dict[str, Any] = Field(default_factory=dict)
    graph: GraphView


class QueueEntry(View):
    rank: int
    record_id: str
    kind: str
    label: str
    port: str
    day: date
    score: float
    selection: Literal["risk", "random"] = "risk"
    components: dict[str, float] = Field(default_factory=dict)
    explanation: list[str] = Field(default_factory=list)


Outcome = Literal["nothing_found", "seizure", "revenue_recovered", "referred", "not_inspected"]


class InspectionResultIn(View):
    """What an officer records after an inspection; it becomes a label for retraining and a graph fact."""

    record_id: str
    port: str | None = None
    outcome: Outcome
    revenue_recovered: float | None = Field(default=None, ge=0)
    currency: str | None = None
    seized_goods: str | None = None
    notes: str | None = Field(default=None, max_length=4000)


class InspectionResult(InspectionResultIn):
    id: str
    officer: str
    recorded_at: datetime


class AlertView(View):
    id: str
    key: str
    record_id: str
    kind: str = "record"
    label: str = ""
    score: float
    created_at: datetime
    explanation: list[str] = Field(default_factory=list)


class SubscriptionIn(View):
    url: str = Field(pattern=r"^https?://", max_length=2000)
    min_score: float = Field(default=0.0, ge=0)
    kinds: list[str] = Field(default_factory=list)  # empty: every kind
    description: str | None = None


class Subscription(SubscriptionIn):
    id: str
    owner: str
    created_at: datetime
    # The HMAC key the deliverer signs each webhook body with; shown only when the subscription is created.
    secret: str | None = None


class WatchlistEntry(View):
    """One entity enforcement should look out for: a list entry, or an entity Sekisho found risky."""

    id: str
    list_name: str
    schema_name: str = "LegalEntity"  # a FollowTheMoney schema
    name: str
    aliases: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    birth_date: str | None = None
    identifiers: list[str] = Field(default_factory=list)
    risk: float | None = None
    updated: date | None = None
    reason: str | None = None


class WatchlistFilter(View):
    lists: list[str] = Field(default_factory=list)
    min_risk: float | None = None
    since: date | None = None


class AuditEvent(View):
    id: str
    at: datetime
    key_id: str
    role: str
    action: str  # search, entity.view, graph.paths, export.watchlist, queue.view, ...
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    result_count: int | None = None


class IngestAccepted(View):
    message_id: str
    format: str
    bytes: int
