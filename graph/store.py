"""The link graph in Elasticsearch: node and edge indices written through ``sekisho.es_io``.

Nodes are upserted by id, merged with what the index already holds (a phone node seen by a new record
keeps the roles and flags earlier records gave it); edges are written by their deterministic id.
``refresh_risk`` extracts the subgraph around some nodes, propagates risk there and writes the changed
nodes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graph.analytics import NeighbourSource, RiskPath, Subgraph, extract, paths_to_watchlist, propagate_risk
from graph.links import links_of
from graph.model import Edge, Node, merge_nodes
from schemas.indexed import EDGE_TYPE, NODE_TYPE
from schemas.records import Record
from sekisho import es_io
from sekisho.settings import Settings

_BATCH = 1000
_SEARCH_LIMIT = 5000
RISK_DEPTH = 6  # hops from a new record to the seeds it may be exposed to


def _batches(ids: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


class EsGraphStore:
    """A ``NeighbourSource`` and writer over the node and edge indices of one namespace."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ensure(self) -> None:
        es_io.ensure_index(NODE_TYPE, self.settings)
        es_io.ensure_index(EDGE_TYPE, self.settings)

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        found: list[Node] = []
        for batch in _batches(ids):
            hits = es_io.search(NODE_TYPE, {"ids": {"values": batch}}, self.settings, size=len(batch))
            found.extend(Node.model_validate(_source(hit)) for hit in hits)
        return found

    def node(self, node_id: str) -> Node | None:
        doc = es_io.get(NODE_TYPE, node_id, self.settings)
        return Node.model_validate(doc) if doc else None

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        found: dict[str, Edge] = {}
        for batch in _batches(ids):
            query = {
                "bool": {
                    "should": [{"terms": {"src": batch}}, {"terms": {"dst": batch}}],
                    "minimum_should_match": 1,
                }
            }
            hits = es_io.search(EDGE_TYPE, query, self.settings, size=_SEARCH_LIMIT)
            docs: Iterable[dict[str, Any]] = [_source(hit) for hit in hits]
            if len(hits) >= _SEARCH_LIMIT:  # a hub: page through all of its edges
                docs = es_io.scan(EDGE_TYPE, query, self.settings)
            for doc in docs:
                item = Edge.model_validate(doc)
                found[item.id] = item
        return list(found.values())

    def upsert(self, nodes: Sequence[Node], edges: Sequence[Edge]) -> int:
        """Merge ``nodes`` into what is stored and write them with ``edges``; returns documents written."""
        incoming: dict[str, Node] = {}
        for node in nodes:
            old = incoming.get(node.id)
            incoming[node.id] = node if old is None else merge_nodes(old, node)
        stored = {node.id: node for node in self.nodes(incoming)}
        merged = [merge_nodes(stored[i], n) if i in stored else n for i, n in incoming.items()]
        unique_edges = list({item.id: item for item in edges}.values())
        return es_io.write_records([*merged, *unique_edges], self.settings)

    def write_nodes(self, nodes: Sequence[Node]) -> int:
        return es_io.write_records(list(nodes), self.settings)

    def mark_seized(self, node_ids: Iterable[str]) -> list[Node]:
        """Flag nodes as previously seized (a seed for propagation); unknown ids are created as stubs."""
        ids = list(dict.fromkeys(node_ids))
        stored = {node.id: node for node in self.nodes(ids)}
        known = [stored.get(i) or Node(id=i, kind="identifier", label=i) for i in ids]
        flagged = [node.model_copy(update={"seized": True}) for node in known]
        self.write_nodes(flagged)
        return flagged

    def refresh(self) -> None:
        es_io.refresh(self.settings)


def _source(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hit.items() if not k.startswith("_")}


def links_for(records: Iterable[Record]) -> tuple[list[Node], list[Edge], list[str]]:
    """The nodes and edges of a batch of records, and the ids of the records that produced any."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    ids: list[str] = []
    for record in records:
        found_nodes, found_edges = links_of(record)
        if found_nodes:
            ids.append(record.id)
        nodes.extend(found_nodes)
        edges.extend(found_edges)
    return nodes, edges, ids


def link_records(records: Iterable[Record], store: EsGraphStore) -> tuple[int, list[str]]:
    """The stream's graph sink: link each record and upsert the batch; returns (written, record ids)."""
    nodes, edges, ids = links_for(records)
    if not nodes:
        return 0, []
    return store.upsert(nodes, edges), ids


def refresh_risk(
    store: EsGraphStore, around: Iterable[str], depth: int = RISK_DEPTH, max_nodes: int = 5000
) -> list[Node]:
    """Propagate risk in the subgraph around ``around`` and write back the nodes whose risk changed."""
    return propagate_around(store, around, depth, max_nodes).nodes


@dataclass(frozen=True)
class Propagation:
    nodes: list[Node]  # every node of the subgraph, after propagation
    raised: list[Node]  # nodes whose graph risk went up (e.g. targets to score again)
    changed: list[Node]  # nodes whose risk or explanation changed (written back unless told not to)


def propagate_around(
    store: EsGraphStore,
    around: Iterable[str],
    depth: int = RISK_DEPTH,
    max_nodes: int = 5000,
    raised_by: float = 0.05,
    read_from: NeighbourSource | None = None,
    write: bool = True,
) -> Propagation:
    """``refresh_risk`` that also says which nodes' risk rose by at least ``raised_by``.

    ``read_from`` replaces the store as the source of the subgraph (e.g. the store with the links
    just written layered on top, so no index refresh is needed before reading them). With
    ``write=False`` the caller writes ``changed`` itself (later, off its latency path).
    """
    sub: Subgraph = extract(read_from or store, around, depth=depth, max_nodes=max_nodes)
    before = sub.nodes
    after = propagate_risk(sub)
    # Stubs stand for nodes not (yet) written: propagation must not create them.
    changed = [node for node in after if not _same_risk(before[node.id], node) and not _is_extract_stub(node)]
    if changed and write:
        store.write_nodes(changed)
    raised = [node for node in changed if node.graph_risk >= before[node.id].graph_risk + raised_by]
    return Propagation(after, raised, changed)


def _same_risk(old: Node, new: Node) -> bool:
    return (
        abs(old.graph_risk - new.graph_risk) < 1e-6
        and old.risk_explanation == new.risk_explanation
        and abs(old.pagerank - new.pagerank) < 1e-9
    )


def _is_extract_stub(node: Node) -> bool:
    return node.kind == "identifier" and node.label == node.id


def explain_node(
    node_id: str, *, depth: int = RISK_DEPTH, limit: int = 3, settings: Settings
) -> tuple[Node | None, list[RiskPath]]:
    """A node after fresh propagation around it, and its strongest explained paths to watchlisted or
    seized nodes (what ``sekisho graph explain`` and the API's graph paths show)."""
    store = EsGraphStore(settings)
    nodes = {node.id: node for node in refresh_risk(store, [node_id], depth=depth)}
    sub = extract(store, [node_id], depth=depth)
    sub = Subgraph({**sub.nodes, **{k: v for k, v in nodes.items() if k in sub.nodes}}, sub.edges)
    if node_id not in sub.nodes:
        return None, []
    return sub.nodes[node_id], paths_to_watchlist(sub, node_id, limit=limit, max_hops=depth)


def load_all(store: EsGraphStore) -> Subgraph:
    """The whole graph of a namespace (for batch propagation on demo- or test-sized data)."""
    nodes = {doc["id"]: Node.model_validate(doc) for doc in es_io.scan(NODE_TYPE, None, store.settings)}
    edges = [Edge.model_validate(doc) for doc in es_io.scan(EDGE_TYPE, None, store.settings)]
    return Subgraph(nodes, [e for e in edges if e.src in nodes and e.dst in nodes])


def link_indexed(
    settings: Settings, *, batch: int = 1000, on_progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Link every record already indexed into the graph, then propagate risk over the whole graph.

    The batch counterpart of the stream's incremental linking (demo, re-linking after a rule change of
    the graph). Returns (records linked, nodes whose risk changed).
    """
    from schemas.records import RECORD_TYPES, record_from_dict

    s = settings
    store = EsGraphStore(s)
    store.ensure()
    linked = 0
    pending: list[Record] = []
    for record_type in RECORD_TYPES:
        if record_type == "rejection":
            continue
        for doc in es_io.scan(record_type, None, s):
            pending.append(record_from_dict({k: v for k, v in doc.items() if not k.startswith("_")}))
            if len(pending) >= batch:
                linked += len(link_records(pending, store)[1])
                pending.clear()
                if on_progress is not None:
                    on_progress(linked)
    if pending:
        linked += len(link_records(pending, store)[1])
    store.refresh()
    whole = load_all(store)
    after = propagate_risk(whole)
    changed = [n for n in after if not _same_risk(whole.nodes[n.id], n)]
    if changed:
        store.write_nodes(changed)
    store.refresh()
    return linked, len(changed)
