"""What the API answers and accepts: small frozen models, independent of how the data is stored."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.documents import Outcome


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class SearchHit(View):
    id: str
    kind: str  # record type (passenger, consignment...) or graph node kind (phone, company...)
    label: str
    score: float
    risk: float | None = None
    watchlisted: bool = False
    entity_id: str | None = None  # the canonical entity the hit belongs to
    members: int = 1  # hits of the same entity folded into this one


class GraphNode(View):
    id: str
    kind: str
    label: str
    risk: float | None = None  # propagated graph risk, 0..1
    watchlisted: bool = False
    seized: bool = False
    list_name: str | None = None
    explanation: str | None = None  # how the risk reached this node
    # Entity resolution: in the member-level graph, the record this one is ``same_as`` (or, for a company record,
    # its organisation-name node; None when it is its own entity); in the folded graph, the records drawn as this
    # one node, the canonical one first (empty when it stands for one record at most: a key is no record).
    entity: str | None = None
    members: list[str] = Field(default_factory=list)
    record_type: str | None = None  # set when the node is a feed record (not a shared value or key)


class GraphEdge(View):
    id: str
    source: str
    target: str
    relation: str
    detail: str | None = None
    # Facts a crawled page asserted: its record, the archived copy (evidence id) and its source's grade.
    source_record: str | None = None
    evidence: str | None = None
    grade: str | None = None
    weight: float = 1.0  # its weight in risk propagation (already scaled by the source's grade)


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


class InspectionResultIn(View):
    """What an officer records after an inspection (``targeting.feedback`` turns it into a label).

    ``selection`` and ``score`` come from the queue pick the officer worked, so random picks stay
    recognisable for unbiased evaluation.
    """

    record_id: str
    outcome: Outcome
    port: str | None = Field(default=None, max_length=8)
    revenue_recovered: float = Field(default=0.0, ge=0)
    seized_goods: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=4000)
    selection: Literal["model", "random", "other"] = "other"
    inspection: Literal["exam", "xray"] | None = None
    score: float | None = Field(default=None, ge=0, le=1)


class SubscriptionIn(View):
    name: str | None = Field(default=None, max_length=200)
    url: str = Field(pattern=r"^https?://", max_length=2000)
    min_score: float = Field(default=0.0, ge=0, le=1)
    record_types: list[str] = Field(default_factory=list)  # empty: every type


class SubscriptionCreated(View):
    """A new webhook subscription, with the HMAC secret its receiver verifies signatures with (shown once)."""

    id: str
    name: str
    url: str
    secret: str
    min_score: float
    record_types: list[str]


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


class IngestAccepted(View):
    message_id: str
    format: str
    bytes: int


class SourceReport(View):
    """What the feeds of one source made: records by type, messages with each warning code, dead letters
    by reason (the per-source counterpart of ``sekisho ingest --report``)."""

    source: str
    records: dict[str, int] = Field(default_factory=dict)
    warnings: dict[str, int] = Field(default_factory=dict)  # messages carrying the code
    dead_letters: dict[str, int] = Field(default_factory=dict)
