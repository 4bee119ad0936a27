"""The ``Store`` over Elasticsearch (through ``sekisho.es_io``): what ``sekisho serve`` runs on.

Records and graph documents are read from the indices the stream writes; the API's own documents
(audit events, inspection results, alert subscriptions) live in their own indices, registered here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from enrichment.screening.entries import WatchlistEntry as ListedEntry
from enrichment.screening.loaders import load_all
from graph.model import Edge, Node
from graph.store import EsGraphStore
from resolution.store import EsResolutionStore, apply_judgement
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
from schemas.indexed import (
    ALERT_TYPE,
    AUDIT_TYPE,
    CASE_TYPE,
    INSPECTION_TYPE,
    NODE_TYPE,
    REIDENTIFICATION_TYPE,
    SAVED_SEARCH_TYPE,
    SCREENING_DECISION_TYPE,
    SEALED_TYPE,
    TRIAGE_TYPE,
)
from schemas.records import RECORD_TYPES, FlightLeg, Record, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings
from targeting.api.export import GRAPH_LIST, GRAPH_LIST_MIN_RISK, risky_node_view
from targeting.api.memory_store import arrival_port, arrived_at, mentions, watchlist_matches
from targeting.api.views import SearchHit, SourceReport, WatchlistEntry, WatchlistFilter
from targeting.feedback import record_result
from targeting.saved_searches import Match

ARRIVALS_MAX = 5000  # candidates per port and day read for scoring

SEARCHED_RECORD_TYPES = [name for name in RECORD_TYPES if name != "rejection"]
# Names and identifiers an analyst types; explanations (which name neighbours) are left out on purpose.
SEARCH_FIELDS = [
    "label^3",
    "value^2",
    "full_name^3",
    "surname^2",
    "name^3",
    "title",
    "text",
    "seller",
    "shipper_name",
    "consignee_name",
    "importer_name",
    "exporter_name",
    "declarant_name",
    "transport_document^2",
    "record_locator^2",
    "reference^2",
    "phones",
    "emails",
    "documents.number",
    "containers",
    "url",
]
LABEL_FIELDS = ("full_name", "name", "title", "transport_document", "record_locator", "reference", "url")


def _source(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hit.items() if not k.startswith("_")}


def _label(doc: dict[str, Any]) -> str:
    for name in LABEL_FIELDS:
        if doc.get(name):
            return str(doc[name])
    return str(doc.get("id", "?"))


Doc = TypeVar("Doc", bound=BaseModel)


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


class EsStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.graph = EsGraphStore(self.settings)
        self._listed: list[WatchlistEntry] | None = None
        self._lock = threading.Lock()
        for name in (AUDIT_TYPE, INSPECTION_TYPE, ALERT_TYPE, SEALED_TYPE, REIDENTIFICATION_TYPE, TRIAGE_TYPE,
                     SCREENING_DECISION_TYPE, SAVED_SEARCH_TYPE, CASE_TYPE):
            es_io.ensure_index(name, self.settings)

    def _kept(self, document: BaseModel) -> None:
        """Write one of the API's own documents, searchable for the next request."""
        es_io.write_records([document], self.settings)
        es_io.refresh(self.settings)

    def _read(self, type_name: str, cls: type[Doc], doc_id: str) -> Doc | None:
        doc = es_io.get(type_name, doc_id, self.settings)
        return cls.model_validate(doc) if doc else None

    # --- search and the graph
    def search(self, text: str, kinds: Sequence[str], limit: int) -> list[SearchHit]:
        record_types = [k for k in kinds if k in RECORD_TYPES] if kinds else SEARCHED_RECORD_TYPES
        query = {
            "simple_query_string": {
                "query": text,
                "fields": SEARCH_FIELDS,
                "default_operator": "and",
                "lenient": True,
            }
        }
        types = [*record_types, NODE_TYPE]
        hits = es_io.search(types, query, self.settings, size=limit * 2)
        found: dict[str, SearchHit] = {}
        for raw in hits:
            doc = _source(raw)
            doc_id = str(raw["_id"])
            kind = str(doc.get("record_type") or doc.get("kind") or "unknown")
            if doc_id in found or (kinds and kind not in kinds and doc.get("kind") not in kinds):
                continue  # a record and its graph node share the id: show it once
            found[doc_id] = SearchHit(
                id=doc_id,
                kind=kind,
                label=str(doc.get("label") or _label(doc)),
                score=float(raw.get("_score") or 0),
            )
        nodes = {n.id: n for n in self.graph.nodes(found)}
        result: list[SearchHit] = []
        for doc_id, hit in found.items():
            node = nodes.get(doc_id)
            if node is None:
                result.append(hit)
                continue
            risk = max(node.graph_risk, node.screening_score)
            result.append(hit.model_copy(update={"risk": round(risk, 4) or None, "watchlisted": node.watchlisted}))
        return result[:limit]

    def matches_since(self, query: str, kinds: Sequence[str], since: datetime, limit: int) -> list[Match]:
        """Records matching ``query`` (the search box's fields) indexed at or after ``since``, oldest first."""
        record_types = [k for k in kinds if k in RECORD_TYPES] if kinds else SEARCHED_RECORD_TYPES
        if not record_types:
            return []
        text = {"simple_query_string": {"query": query, "fields": SEARCH_FIELDS, "default_operator": "and",
                                        "lenient": True}}
        arrived = {"range": {"indexed_at": {"gte": since.isoformat()}}}
        hits = es_io.search(record_types, {"bool": {"must": [text], "filter": [arrived]}}, self.settings,
                            size=limit, sort=[{"indexed_at": "asc"}])
        nodes = {n.id: n for n in self.graph.nodes(str(h["_id"]) for h in hits)}
        found: list[Match] = []
        for raw in hits:
            doc, doc_id = _source(raw), str(raw["_id"])
            when = arrived_at(doc)
            if when is None:
                continue
            node = nodes.get(doc_id)
            risk = max(node.graph_risk, node.screening_score) if node else 0.0
            found.append(Match(record_id=doc_id, kind=str(doc.get("record_type")),
                               label=node.label if node else _label(doc), arrived_at=when,
                               risk=round(risk, 4) or None, port=arrival_port(record_from_dict(doc))))
        return found

    def known_alert_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        hits = es_io.search(ALERT_TYPE, {"terms": {"key": list(keys)}}, self.settings, size=len(keys) * 2)
        return {str(h["key"]) for h in hits}

    def save_alerts(self, alerts: Sequence[Alert]) -> None:
        es_io.write_records(list(alerts), self.settings)
        es_io.refresh(self.settings)

    def saved_searches(self, owner_key_id: str | None) -> list[SavedSearch]:
        query = {"match_all": {}} if owner_key_id is None else {"term": {"owner_key_id": owner_key_id}}
        hits = es_io.search(SAVED_SEARCH_TYPE, query, self.settings, size=1000, sort=[{"created_at": "desc"}])
        return [SavedSearch.model_validate(_source(h)) for h in hits]

    def saved_search(self, search_id: str) -> SavedSearch | None:
        return self._read(SAVED_SEARCH_TYPE, SavedSearch, search_id)

    def save_search(self, search: SavedSearch) -> None:
        self._kept(search)

    def delete_search(self, search_id: str) -> bool:
        return bool(es_io.delete_by_query(SAVED_SEARCH_TYPE, {"ids": {"values": [search_id]}}, self.settings))

    def cases(self, limit: int) -> list[Case]:
        hits = es_io.search(CASE_TYPE, {"match_all": {}}, self.settings, size=limit, sort=[{"updated_at": "desc"}])
        return [Case.model_validate(_source(h)) for h in hits]

    def case(self, case_id: str) -> Case | None:
        return self._read(CASE_TYPE, Case, case_id)

    def save_case(self, case: Case) -> None:
        self._kept(case)

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        return self.graph.nodes(ids)

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        return self.graph.edges_touching(ids)

    def document(self, entity_id: str) -> dict[str, Any] | None:
        record_type = entity_id.rsplit("-", 1)[0]
        if record_type not in RECORD_TYPES:
            return None
        return es_io.get(record_type, entity_id, self.settings)

    # --- entity resolution
    def entity_of(self, record_id: str) -> str | None:
        membership = EsResolutionStore(self.settings).memberships([record_id]).get(record_id)
        return membership.entity_id if membership else None

    def entities_of(self, record_ids: Sequence[str]) -> dict[str, str]:
        return {record_id: found.entity_id for record_id, found in self.memberships_of(record_ids).items()}

    def memberships_of(self, record_ids: Sequence[str]) -> dict[str, EntityMembership]:
        return EsResolutionStore(self.settings).memberships(record_ids)

    def entity_members(self, entity_id: str) -> list[EntityMembership]:
        return EsResolutionStore(self.settings).entity_members(entity_id)

    def judgements_of(self, record_ids: Sequence[str]) -> list[MatchJudgement]:
        return EsResolutionStore(self.settings).judgements_of(record_ids)

    def save_judgement(self, judgement: MatchJudgement) -> list[EntityMembership]:
        return apply_judgement(judgement, self.settings)

    # --- targeting
    def _records(self, type_name: str, query: dict[str, Any]) -> list[Record]:
        hits = es_io.search(type_name, query, self.settings, size=ARRIVALS_MAX)
        return [record_from_dict(_source(h)) for h in hits]

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        from targeting.sources import EsSource

        return EsSource(self.settings).flights_numbered(carrier, flight_number)

    def arrivals(self, port: str, day: date) -> list[Record]:
        """Passengers disembarking at ``port`` (their day is settled by scoring) and its consignments."""
        wanted = port.upper()
        passengers = self._records("passenger", {"term": {"debarkation": wanted}})
        by_port = {
            "bool": {
                "should": [{"term": {"port_of_arrival": wanted}}, {"term": {"destination": wanted}}],
                "minimum_should_match": 1,
            }
        }
        consignments = self._records(
            "consignment", {"bool": {"filter": [by_port, {"term": {"arrival_date": day.isoformat()}}]}}
        )
        return [*passengers, *consignments]

    def ports(self, day: date) -> list[str]:
        """Ports where a consignment arrives that day, or a flight of that day lands with passengers."""
        on_day = day.isoformat()
        ports: set[str] = set()
        for hit in es_io.search("consignment", {"term": {"arrival_date": on_day}}, self.settings, size=ARRIVALS_MAX):
            port = hit.get("port_of_arrival") or hit.get("destination")
            if port:
                ports.add(str(port).upper())
        legs = es_io.search("flight_leg", {"term": {"flight_date": on_day}}, self.settings, size=ARRIVALS_MAX)
        by_airport: dict[str, list[str]] = {}
        for leg in legs:
            if leg.get("arrival_airport"):
                by_airport.setdefault(str(leg["arrival_airport"]), []).append(str(leg["_id"]))
        for airport, leg_ids in by_airport.items():
            if airport not in ports and es_io.count("passenger", self.settings, {"terms": {"flight_leg_ids": leg_ids}}):
                ports.add(airport)
        return sorted(ports)

    def alerts(self, limit: int) -> list[Alert]:
        hits = es_io.search(ALERT_TYPE, {"match_all": {}}, self.settings, size=limit, sort=[{"created_at": "desc"}])
        return [Alert.model_validate(_source(h)) for h in hits]

    def alerts_keyed(self, key: str) -> list[Alert]:
        hits = es_io.search(ALERT_TYPE, {"term": {"key": key}}, self.settings, size=100,
                            sort=[{"created_at": "desc"}])
        return [Alert.model_validate(_source(h)) for h in hits]

    def triages(self, keys: Sequence[str]) -> dict[str, AlertTriage]:
        if not keys:
            return {}
        hits = es_io.search(TRIAGE_TYPE, {"ids": {"values": list(keys)}}, self.settings, size=len(keys))
        return {str(h["_id"]): AlertTriage.model_validate(_source(h)) for h in hits}

    def save_triage(self, triage: AlertTriage) -> None:
        self._kept(triage)

    def save_screening_decision(self, decision: ScreeningDecision) -> None:
        self._kept(decision)

    def screening_decisions(self, limit: int) -> list[ScreeningDecision]:
        hits = es_io.search(SCREENING_DECISION_TYPE, {"match_all": {}}, self.settings, size=limit,
                            sort=[{"decided_at": "desc"}])
        return [ScreeningDecision.model_validate(_source(h)) for h in hits]

    def screening_decision(self, decision_id: str) -> ScreeningDecision | None:
        return self._read(SCREENING_DECISION_TYPE, ScreeningDecision, decision_id)

    def save_inspection(self, result: InspectionResult) -> list[str]:
        outcome = record_result(result, settings=self.settings)
        es_io.refresh(self.settings)
        return outcome.errors

    def inspections(self, record_id: str) -> list[InspectionResult]:
        hits = es_io.search(
            INSPECTION_TYPE,
            {"term": {"record_id": record_id}},
            self.settings,
            size=100,
            sort=[{"inspected_at": "desc"}],
        )
        return [InspectionResult.model_validate(_source(h)) for h in hits]

    def inspections_at(self, port: str) -> list[InspectionResult]:
        hits = es_io.search(INSPECTION_TYPE, {"term": {"port": port.upper()}}, self.settings, size=ARRIVALS_MAX,
                            sort=[{"inspected_at": "desc"}])
        return [InspectionResult.model_validate(_source(h)) for h in hits]

    def audit(self, event: AuditEvent) -> None:
        es_io.write_records([event], self.settings)

    def audit_events(self, limit: int) -> list[AuditEvent]:
        hits = es_io.search(AUDIT_TYPE, {"match_all": {}}, self.settings, size=limit,
                            sort=[{"seq": "desc"}, {"at": "desc"}])
        return [AuditEvent.model_validate(_source(h)) for h in hits]

    # --- the data-subject report
    def alerts_about(self, record_ids: Sequence[str]) -> list[Alert]:
        if not record_ids:
            return []
        hits = es_io.search(ALERT_TYPE, {"terms": {"record_id": list(record_ids)}}, self.settings, size=1000,
                            sort=[{"created_at": "desc"}])
        return [Alert.model_validate(_source(h)) for h in hits]

    def audit_mentioning(self, ids: Sequence[str]) -> list[AuditEvent]:
        # audit parameters are stored, not indexed (free-form map): the trail is read through once
        events = (AuditEvent.model_validate(doc) for doc in es_io.scan(AUDIT_TYPE, None, self.settings))
        return sorted((e for e in events if mentions(e, ids)), key=lambda e: e.seq)

    # --- re-identification: sealed originals and the requests to see them
    def sealed(self, record_ids: Sequence[str]) -> list[SealedRecord]:
        if not record_ids:
            return []
        hits = es_io.search(SEALED_TYPE, {"ids": {"values": list(record_ids)}}, self.settings,
                            size=len(record_ids))
        return [SealedRecord.model_validate(_source(h)) for h in hits]

    def save_reidentification(self, request: Reidentification) -> None:
        self._kept(request)

    def reidentification(self, request_id: str) -> Reidentification | None:
        return self._read(REIDENTIFICATION_TYPE, Reidentification, request_id)

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
        hits = es_io.search(NODE_TYPE, {"bool": {"filter": must}}, self.settings, size=limit, sort=[{"id": "asc"}])
        return [risky_node_view(Node.model_validate(_source(h))) for h in hits]

    def watchlist(self, flt: WatchlistFilter, after: str | None, limit: int) -> list[WatchlistEntry]:
        """Both sources in one id order, so ``after`` is a cursor over the union.

        Neither source carries a listing date yet, so a ``since`` filter leaves nothing from them.
        """
        rows: list[WatchlistEntry] = []
        if not flt.lists or set(flt.lists) - {GRAPH_LIST}:
            listed = (e for e in self.listed() if (after is None or e.id > after) and watchlist_matches(e, flt))
            rows.extend(e for _, e in zip(range(limit), listed, strict=False))
        if (not flt.lists or GRAPH_LIST in flt.lists) and flt.since is None:
            rows.extend(self.risky_nodes(flt, after, limit))
        rows.sort(key=lambda e: e.id)
        return rows[:limit]

    # --- what each feed source produced
    def source_reports(self, limit: int) -> list[SourceReport]:
        def terms(field: str, size: int = 50, **sub: Any) -> dict[str, Any]:
            return {"terms": {"field": field, "size": size}, **({"aggs": sub} if sub else {})}

        messages = {"cardinality": {"field": "message_id"}}
        aggregations = {
            "sources": terms(
                "source",
                limit,
                types=terms("record_type"),
                warnings=terms("parse_warnings.code", messages=messages),
                reasons=terms("reason"),
            )
        }
        result = es_io.aggregate(list(RECORD_TYPES), aggregations, self.settings)
        reports = []
        for bucket in result.get("sources", {}).get("buckets", []):
            kinds = {b["key"]: b["doc_count"] for b in bucket["types"]["buckets"] if b["key"] != "rejection"}
            reports.append(
                SourceReport(
                    source=str(bucket["key"]),
                    records=kinds,
                    warnings={b["key"]: int(b["messages"]["value"]) for b in bucket["warnings"]["buckets"]},
                    dead_letters={b["key"]: b["doc_count"] for b in bucket["reasons"]["buckets"]},
                )
            )
        return reports
