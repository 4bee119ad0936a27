"""Retention beyond the records: the graph documents and alerts that PNR records gave rise to.

A PNR booking or passenger leaves traces outside its own index: its graph node (labelled with the
traveller's name), the shared nodes it linked (phones, e-mails, addresses, travel documents, the payer,
names mentioned in its remarks) with the edges it asserted (``Edge.source_record``), risk explanations
of other nodes whose path ran through it, and alerts on it (label, title, explanation, graph path).
When the record is deleted or depersonalised, ``forget`` and ``mask`` bring all of that in line:

- deleted records: their edges and their own nodes go; shared nodes that no other record links any
  more go too (a phone only this PNR had);
- depersonalised records: their edges go and the masked copy is linked again, so the node carries the
  masked label and only what the masked record still asserts; shared nodes left orphaned go;
- every node whose risk path ran through a removed or masked node loses its risk, path and
  explanation (the sentence quotes the labels on the way; the next propagation recomputes them);
- alerts on deleted records are deleted, alerts on masked records are masked, and alerts whose graph
  path ran through a removed or masked node lose their explanation and path.

Everything goes through ``sekisho.es_io`` and ``graph.store``; the counts are returned per document
type and action, so ``sekisho retention apply`` reports them next to the records'.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from graph.store import EsGraphStore, links_for
from schemas.documents import Alert
from schemas.indexed import ALERT_TYPE, EDGE_TYPE, NODE_TYPE
from schemas.records import RECORD_TYPES, Record
from sekisho import es_io
from sekisho.settings import Settings

MASKED_LABEL = "[depersonalised]"
_TERMS_BATCH = 1000
CASCADE_COUNTS = (
    "graph_node.deleted",
    "graph_node.masked",
    "graph_edge.deleted",
    "alert.deleted",
    "alert.masked",
)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(CASCADE_COUNTS, 0)


def _batches(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _TERMS_BATCH):
        yield items[start : start + _TERMS_BATCH]


def _scan_terms(type_name: str, field: str, values: Iterable[str], settings: Settings) -> Iterator[dict[str, Any]]:
    for batch in _batches(values):
        yield from es_io.scan(type_name, {"terms": {field: batch}}, settings)


def _delete_ids(type_name: str, ids: Iterable[str], settings: Settings) -> int:
    return sum(es_io.delete_by_query(type_name, {"ids": {"values": batch}}, settings) for batch in _batches(ids))


def _asserted_edges(record_ids: set[str], touching: set[str], settings: Settings) -> dict[str, dict[str, Any]]:
    """Edges asserted by the records, and edges touching the nodes that go with them."""
    edges = {doc["id"]: doc for doc in _scan_terms(EDGE_TYPE, "source_record", record_ids, settings)}
    edges.update((doc["id"], doc) for doc in _scan_terms(EDGE_TYPE, "src", touching, settings))
    edges.update((doc["id"], doc) for doc in _scan_terms(EDGE_TYPE, "dst", touching, settings))
    return edges


def _orphans(candidates: set[str], settings: Settings) -> set[str]:
    """The candidate nodes no edge touches any more."""
    if not candidates:
        return set()
    linked: set[str] = set()
    for doc in _scan_terms(EDGE_TYPE, "src", candidates, settings):
        linked.add(doc["src"])
    for doc in _scan_terms(EDGE_TYPE, "dst", candidates, settings):
        linked.add(doc["dst"])
    return candidates - linked


def _clear_paths_through(node_ids: set[str], settings: Settings, counts: dict[str, int]) -> None:
    """Nodes whose risk path ran through ``node_ids`` lose risk, path and explanation (see module doc)."""
    store = EsGraphStore(settings)
    cleared = []
    for doc in _scan_terms(NODE_TYPE, "risk_path", node_ids, settings):
        node = store.nodes([doc["id"]])
        if node:
            cleared.append(node[0].model_copy(update={"graph_risk": 0.0, "risk_path": [],
                                                       "risk_explanation": None}))
    if cleared:
        store.write_nodes(cleared)
        counts["graph_node.masked"] += len(cleared)


def masked_alert(alert: Alert) -> Alert:
    kind = "traveller" if alert.record_type == "passenger" else alert.record_type
    return alert.model_copy(update={"label": MASKED_LABEL, "title": f"{alert.severity} {kind} {MASKED_LABEL}",
                                    "explanation": [], "graph_path": [], "evidence": []})


def _alerts(deleted: set[str], masked: set[str], through: set[str], settings: Settings,
            counts: dict[str, int]) -> None:
    if deleted:
        counts["alert.deleted"] += sum(
            es_io.delete_by_query(ALERT_TYPE, {"terms": {"record_id": batch}}, settings) for batch in _batches(deleted)
        )
    rewritten: dict[str, Alert] = {}
    for doc in _scan_terms(ALERT_TYPE, "record_id", masked, settings):
        alert = Alert.model_validate(doc)
        if alert.label != MASKED_LABEL or alert.explanation or alert.graph_path:
            rewritten[alert.id] = masked_alert(alert)
    for doc in _scan_terms(ALERT_TYPE, "graph_path", through, settings):
        alert = rewritten.get(doc["id"]) or Alert.model_validate(doc)
        rewritten[alert.id] = alert.model_copy(update={"explanation": [], "graph_path": [], "evidence": []})
    if rewritten:
        counts["alert.masked"] += es_io.write_records(list(rewritten.values()), settings)


def forget(record_ids: Sequence[str], settings: Settings) -> dict[str, int]:
    """Remove what the (about to be deleted) records left in the graph and the alerts."""
    counts = empty_counts()
    gone = set(record_ids)
    if not gone:
        return counts
    edges = _asserted_edges(gone, gone, settings)
    counts["graph_edge.deleted"] += _delete_ids(EDGE_TYPE, edges, settings)
    counts["graph_node.deleted"] += _delete_ids(NODE_TYPE, gone, settings)
    es_io.refresh(settings)
    endpoints = {doc[end] for doc in edges.values() for end in ("src", "dst")} - gone
    orphans = _orphans(endpoints, settings)
    counts["graph_node.deleted"] += _delete_ids(NODE_TYPE, orphans, settings)
    _clear_paths_through(gone | orphans, settings, counts)
    _alerts(gone, set(), gone | orphans, settings, counts)
    es_io.refresh(settings)
    return counts


def mask(masked: Sequence[Record], settings: Settings) -> dict[str, int]:
    """Re-derive the graph of depersonalised records and mask what quoted them."""
    counts = empty_counts()
    ids = {record.id for record in masked}
    if not ids:
        return counts
    edges = _asserted_edges(ids, set(), settings)
    counts["graph_edge.deleted"] += _delete_ids(EDGE_TYPE, edges, settings)
    es_io.refresh(settings)
    store = EsGraphStore(settings)
    nodes, new_edges, _ = links_for(masked)
    # The record's own node takes the masked label and loses its risk (a merge would keep the richer,
    # stored label); flags such as ``seized`` stay. Other nodes merge as usual.
    stored = {node.id: node for node in store.nodes(ids)}
    own = [
        stored[node.id].model_copy(update={"label": node.label, "value": node.value, "graph_risk": 0.0,
                                           "risk_path": [], "risk_explanation": None})
        if node.id in stored else node
        for node in nodes if node.id in ids
    ]
    store.upsert([node for node in nodes if node.id not in ids], new_edges)
    store.write_nodes(own)
    counts["graph_node.masked"] += len(own)
    es_io.refresh(settings)
    endpoints = {doc[end] for doc in edges.values() for end in ("src", "dst")} - ids
    orphans = _orphans(endpoints, settings)
    counts["graph_node.deleted"] += _delete_ids(NODE_TYPE, orphans, settings)
    _clear_paths_through(ids | orphans, settings, counts)
    _alerts(set(), ids, ids | orphans, settings, counts)
    es_io.refresh(settings)
    return counts


def sweep_orphans(settings: Settings, record_types: Sequence[str] = ("passenger", "booking")) -> dict[str, int]:
    """``forget`` the graph nodes whose record is gone although they still carry what it said.

    Records deleted before the graph followed them (or directly in the index) left their nodes behind,
    labelled with names. A node of one of ``record_types`` whose label is more than its id (a stub, seen
    before its record arrived, says nothing) and whose record no longer exists is forgotten like a
    deleted record, with its edges, orphans, paths through it and alerts.
    """
    counts = empty_counts()
    query = {"bool": {"filter": [{"terms": {"record_type": list(record_types)}}]}}
    labelled = (doc for doc in es_io.scan(NODE_TYPE, query, settings) if doc.get("label") != doc.get("id"))
    batch: list[dict[str, Any]] = []
    for doc in labelled:
        batch.append(doc)
        if len(batch) >= _TERMS_BATCH:
            add_counts(counts, _forget_missing(batch, settings))
            batch = []
    if batch:
        add_counts(counts, _forget_missing(batch, settings))
    return counts


def _existing(ids: Iterable[str], settings: Settings) -> set[str]:
    """Which of these record ids (``<record_type>-...``) are still stored."""
    by_type: dict[str, list[str]] = {}
    for record_id in ids:
        by_type.setdefault(record_id.split("-", 1)[0], []).append(record_id)  # ids read <record_type>-<hash>
    found: set[str] = set()
    for record_type, batch in by_type.items():
        if record_type in RECORD_TYPES:
            found.update(str(hit["_id"]) for hit in es_io.search(record_type, {"ids": {"values": batch}}, settings,
                                                                 size=len(batch)))
    return found


def _forget_missing(nodes: list[dict[str, Any]], settings: Settings) -> dict[str, int]:
    missing = {str(doc["id"]) for doc in nodes} - _existing((str(doc["id"]) for doc in nodes), settings)
    if not missing:
        return empty_counts()
    # A node some stored record still links (a passenger whose booking has not arrived yet) stays.
    touching = _asserted_edges(set(), missing, settings).values()
    alive = _existing({str(e["source_record"]) for e in touching if e.get("source_record")}, settings)
    kept = {end for e in touching if e.get("source_record") in alive for end in (e["src"], e["dst"])}
    return forget(sorted(missing - kept), settings) if missing - kept else empty_counts()


def add_counts(total: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value
