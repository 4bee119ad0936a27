"""The ``Store`` over Elasticsearch (through ``streams.es_io``): what ``sekisho serve`` runs on.

Records and graph documents are read from the indices the stream writes; the API's own documents
(audit events, inspection results, alert subscriptions) live in their own indices, registered here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from enrichment.screening.entries import WatchlistEntry as ListedEntry
from enrichment.screening.loaders import load_all
from graph.model import Edge, Node
from graph.store import NODE_TYPE, EsGraphStore
from schemas.records import RECORD_TYPES
from sekisho.settings import Settings, get_settings
from streams import es_io
from targeting.api.memory_store import watchlist_matches
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

AUDIT_TYPE = "api_audit"
INSPECTION_TYPE = "inspection_result"
SUBSCRIPTION_TYPE = "alert_subscription"
es_io.register_type(AUDIT_TYPE, AuditEvent)
es_io.register_type(INSPECTION_TYPE, InspectionResult)
es_io.register_type(SUBSCRIPTION_TYPE, Subscription)

SEARCHED_RECORD_TYPES = [name for name in RECORD_TYPES if name != "rejection"]
GRAPH_LIST = "sekisho-graph-risk"
GRAPH_LIST_MIN_RISK = 0.3  # below this an entity is not worth an enforcement team's attention
LABEL_FIELDS = ("full_name", "name", "title", "transport_document", "record_locator", "reference", "url")


def _source(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hit.items() if not k.startswith("_")}


def _label(doc: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        if doc.get(name):
            return str(doc[name])
    return str(doc.get("id", "?"))


def listed_view(entry: ListedEntry) -> WatchlistEntry:
    return WatchlistEntry(
        id=f"{entry.list_name}:{entry.entry_id}",
        list_name=entry.list_name,
        schema_name=entry.schema,
        name=entry.caption,
        aliases=list(entry.names[1:]),
        countries=[c.upper() for c in entry.countries],
        birth_date=entry.birth_dates[0] if entry.birth_dates else None,
        identifiers=[f"{scheme}:{value}" for scheme, value in entry.identifiers],
        reason=", ".join(entry.programs) or None,
    )


def risky_node_view(node: Node) -> WatchlistEntry:
    return WatchlistEntry(
        id=node.id,
        list_name=GRAPH_LIST,
        schema_name="Person" if node.kind == "person" else "Company",
        name=node.label,
        risk=round(max(node.graph_risk, node.screening_score), 4),
        reason=node.risk_explanation,
    )


class EsStore:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.graph = EsGraphStore(self.settings)
        self._listed: list[WatchlistEntry] | None = None
        self._lock = threading.Lock()
        for name in (AUDIT_TYPE, INSPECTION_TYPE, SUBSCRIPTION_TYPE):
            es_io.ensure_index(name, self.settings)

    # --- search and the graph
    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]:
        record_types = [k for k in kinds if k in RECORD_TYPES] if kinds else SEARCHED_RECORD_TYPES
        query = {"simple_query_string": {"query": text, "default_operator": "and", "lenient": True}}
        types = [*record_types, NODE_TYPE]
        hits = es_io.search(types, query, self.settings, size=limit * 2)
        by_id: dict[str, SearchHit] = {}
        node_docs: dict[str, dict[str, Any]] = {}
        for hit in hits:
            doc = _source(hit)
            doc_id = str(hit["_id"])
            if (
                "label" in doc
                and "kind" in doc
                and "record_type" not in doc
                or doc.get("record_type") is None
            ):
                node_docs[doc_id] = doc
            if doc_id in by_id:
                continue
            kind = str(doc.get("record_type") or doc.get("kind") or "unknown")
            if kinds and kind not in kinds and doc.get("kind") not in kinds:
                continue
            by_id[doc_id] = SearchHit(
                id=doc_id,
                kind=kind,
                label=str(doc.get("label") or _label(doc)),
                score=float(hit.get("_score") or 0.0),
            )
        nodes = {n.id: n for n in self.graph.nodes(by_id)}
        result: list[SearchHit] = []
        for doc_id, hit in by_id.items():
            node = nodes.get(doc_id)
            if node is not None:
                risk = max(node.graph_risk, node.screening_score)
                hit = hit.model_copy(
                    update={
                        "risk": round(risk, 4) or None,
                        "watchlisted": node.watchlisted,
                        "label": node.label if hit.label == doc_id else hit.label,
                    }
                )
            result.append(hit)
        return result[:limit]

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        return self.graph.nodes(ids)

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        return self.graph.edges_touching(ids)

    def document(self, entity_id: str) -> dict[str, Any] | None:
        record_type = entity_id.rsplit("-", 1)[0]
        if record_type not in RECORD_TYPES:
            return None
        return es_io.get(record_type, entity_id, self.settings)

    # --- targeting
    def queue(self, port: str, day: date) -> list[QueueEntry]:
        return []

    def ports(self, day: date) -> list[str]:
        return []

    def alerts(self, limit: int) -> list[AlertView]:
        return []

    # --- the API's own documents
    def save_inspection(self, result: InspectionResult) -> None:
        es_io.write_records([result], self.settings)
        es_io.refresh(self.settings)

    def inspections(self, record_id: str) -> list[InspectionResult]:
        hits = es_io.search(
            INSPECTION_TYPE,
            {"term": {"record_id": record_id}},
            self.settings,
            size=100,
            sort=[{"recorded_at": "desc"}],
        )
        return [InspectionResult.model_validate(_source(h)) for h in hits]

    def save_subscription(self, subscription: Subscription) -> None:
        es_io.write_records([subscription], self.settings)
        es_io.refresh(self.settings)

    def subscriptions(self) -> list[Subscription]:
        return [Subscription.model_validate(d) for d in es_io.scan(SUBSCRIPTION_TYPE, None, self.settings)]

    def delete_subscription(self, subscription_id: str) -> bool:
        return (
            es_io.delete_by_query(SUBSCRIPTION_TYPE, {"ids": {"values": [subscription_id]}}, self.settings)
            > 0
        )

    def audit(self, event: AuditEvent) -> None:
        es_io.write_records([event], self.settings)

    def audit_events(self, limit: int) -> list[AuditEvent]:
        hits = es_io.search(AUDIT_TYPE, {"match_all": {}}, self.settings, size=limit, sort=[{"at": "desc"}])
        return [AuditEvent.model_validate(_source(h)) for h in hits]

    # --- the enforcement watchlist: list entries plus entities the graph found risky
    def listed(self) -> list[WatchlistEntry]:
        with self._lock:
            if self._listed is None:
                entries = load_all(self.settings.data_dir / "watchlists")
                self._listed = sorted((listed_view(e) for e in entries), key=lambda e: e.id)
            return self._listed

    def risky_nodes(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]:
        floor = max(GRAPH_LIST_MIN_RISK, flt.min_risk or 0.0)
        must: list[dict[str, Any]] = [
            {"terms": {"kind": ["person", "company"]}},
            {
                "bool": {
                    "should": [
                        {"range": {"graph_risk": {"gte": floor}}},
                        {"range": {"screening_score": {"gte": floor}}},
                    ],
                    "minimum_should_match": 1,
                }
            },
        ]
        if after is not None:
            must.append({"range": {"id": {"gt": after}}})
        hits = es_io.search(
            NODE_TYPE, {"bool": {"filter": must}}, self.settings, size=limit, sort=[{"id": "asc"}]
        )
        return [risky_node_view(Node.model_validate(_source(h))) for h in hits]

    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]:
        """Both sources in one id order, so ``after`` is a cursor over the union."""
        rows: list[WatchlistEntry] = []
        if flt.since is None and (not flt.lists or set(flt.lists) - {GRAPH_LIST}):
            listed = [
                e for e in self.listed() if (after is None or e.id > after) and watchlist_matches(e, flt)
            ]
            rows.extend(listed[:limit])
        if not flt.lists or GRAPH_LIST in flt.lists:
            # Graph entities carry no listing date yet, so a date filter leaves only dated entries.
            if flt.since is None:
                rows.extend(self.risky_nodes(flt, after, limit))
        rows.sort(key=lambda e: e.id)
        return rows[:limit]
