"""The data-subject report: everything Sekisho holds about one traveller, for an access request.

An administrator names the traveller (a name or a document number, searched like ``/api/search``, or
record ids). The report gathers the matching passenger records and their bookings, the graph nodes
and edges derived from them, the alerts raised on them, the inspection results recorded for them, and
every audited access that named them (who searched, viewed or exported them, and when).

Records already depersonalised no longer carry the name: they are found by record id, and their
sealed originals are listed by id (read only through an approved re-identification).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from schemas.documents import Alert, AuditEvent, InspectionResult
from targeting.api.neighbourhood import edge_view, node_view
from targeting.api.store import Store
from targeting.api.views import GraphEdge, GraphNode, View

MAX_SUBJECT_RECORDS = 100


class SubjectReport(View):
    query: str
    records: list[dict[str, Any]] = Field(default_factory=list)
    sealed_record_ids: list[str] = Field(default_factory=list)
    nodes: list[GraphNode] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    inspections: list[InspectionResult] = Field(default_factory=list)
    accesses: list[AuditEvent] = Field(default_factory=list)


def subject_report(store: Store, query: str, record_ids: Sequence[str] = ()) -> SubjectReport:
    found = [hit.id for hit in store.search(query, ["passenger"], MAX_SUBJECT_RECORDS)] if query else []
    ids = list(dict.fromkeys([*record_ids, *found]))
    records = [doc for doc in (store.document(i) for i in ids) if doc is not None]
    bookings = {str(doc["booking_id"]) for doc in records if doc.get("booking_id")}
    records += [doc for doc in (store.document(b) for b in sorted(bookings)) if doc is not None]
    held = [str(doc["id"]) for doc in records]
    edges = store.edges_touching(held) if held else []
    node_ids = {end for item in edges for end in (item.src, item.dst)} | set(held)
    return SubjectReport(
        query=query,
        records=records,
        sealed_record_ids=[s.id for s in store.sealed(held)],
        nodes=[node_view(n) for n in sorted(store.nodes(node_ids), key=lambda n: n.id)],
        edges=[edge_view(e) for e in sorted(edges, key=lambda e: e.id)],
        alerts=store.alerts_about(held),
        inspections=[result for record_id in held for result in store.inspections(record_id)],
        accesses=store.audit_mentioning([*held, query] if query else held),
    )
