"""The one registry of indexed types: every document type that has an Elasticsearch index, by name.

The records (``schemas/records.py``) and the documents of the graph and of Sekisho's own work
(``schemas/graph.py``, ``schemas/documents.py``) are declared beside it; the Elasticsearch adapter
(``sekisho/es_io.py``) creates and names indices from this table alone. Nothing registers at import time.
"""

from __future__ import annotations

from pydantic import BaseModel

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
    UrlStatus,
)
from schemas.graph import Edge, Node
from schemas.records import RECORD_TYPES, Record

NODE_TYPE = "graph_node"
EDGE_TYPE = "graph_edge"
ALERT_TYPE = "alert"
INSPECTION_TYPE = "inspection_result"
AUDIT_TYPE = "api_audit"
STATUS_TYPE = "crawl_status"
JUDGEMENT_TYPE = "match_judgement"
MEMBERSHIP_TYPE = "entity_membership"
SEALED_TYPE = "pnr_sealed"
REIDENTIFICATION_TYPE = "reidentification"
TRIAGE_TYPE = "alert_triage"
SCREENING_DECISION_TYPE = "screening_decision"
SAVED_SEARCH_TYPE = "saved_search"
CASE_TYPE = "case"

DOCUMENT_TYPES: dict[str, type[BaseModel]] = {
    NODE_TYPE: Node,
    EDGE_TYPE: Edge,
    ALERT_TYPE: Alert,
    INSPECTION_TYPE: InspectionResult,
    AUDIT_TYPE: AuditEvent,
    STATUS_TYPE: UrlStatus,
    JUDGEMENT_TYPE: MatchJudgement,
    MEMBERSHIP_TYPE: EntityMembership,
    SEALED_TYPE: SealedRecord,
    REIDENTIFICATION_TYPE: Reidentification,
    TRIAGE_TYPE: AlertTriage,
    SCREENING_DECISION_TYPE: ScreeningDecision,
    SAVED_SEARCH_TYPE: SavedSearch,
    CASE_TYPE: Case,
}

INDEXED_TYPES: dict[str, type[BaseModel]] = {**RECORD_TYPES, **DOCUMENT_TYPES}

_NAME_OF: dict[type[BaseModel], str] = {cls: name for name, cls in INDEXED_TYPES.items()}


def type_name_of(document: BaseModel) -> str:
    """The indexed type a document belongs to (its index name stem). Looked up by class first: the
    writers ask once per document, and ``isinstance`` on a model class is the slow path."""
    name = _NAME_OF.get(type(document))
    if name is not None:
        return name
    if isinstance(document, Record):
        return document.record_type
    raise ValueError(f"{type(document).__name__} is not an indexed type")
