"""The link graph in Elasticsearch: node and edge indices written through ``streams.es_io``.

Nodes are upserted by id, merged with what the index already holds (a phone node seen by a new record
keeps the roles and flags earlier records gave it); edges are written by their deterministic id.
``refresh_risk`` extracts the subgraph around some nodes, propagates risk there and writes the changed
nodes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graph.analytics import Subgraph, extract, propagate_risk
from graph.links import links_of
from graph.model import Edge, Node, merge_nodes
from schemas.records import Record
from sekisho.settings import Settings, get_settings
from streams import es_io

NODE_TYPE = "graph_node"
EDGE_TYPE = "graph_edge"
es_io.register_type(NODE_TYPE, Node)
es_io.register_type(EDGE_TYPE, Edge)

_BATCH = 1000
RISK_DEPTH = 6  # hops from a new record to the seeds it may be exposed to


def _batches(ids: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


class EsGraphStore:
    """A ``NeighbourSource`` and writer over the node and edge indices of one namespace."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

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
            for doc in es_io.scan(EDGE_TYPE, query, self.settings):
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
        return es_io.write_records([*merged, *edges], self.settings)

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


def link_records(records: Iterable[Record], store: EsGraphStore) -> tuple[int, list[str]]:
    """The stream's graph sink: link each record and upsert the batch; returns (written, record ids)."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    ids: list[str] = []
    for record in records:
        found_nodes, found_edges = links_of(record)
        if found_nodes:
            ids.append(record.id)
        nodes.extend(found_nodes)
        edges.extend(found_edges)
    if not nodes:
        return 0, []
    return store.upsert(nodes, edges), ids


def refresh_risk(
    store: EsGraphStore, around: Iterable[str], depth: int = RISK_DEPTH, max_nodes: int = 5000
) -> list[Node]:
    """Propagate risk in the subgraph around ``around`` and write back the nodes whose risk changed."""
    sub: Subgraph = extract(store, around, depth=depth, max_nodes=max_nodes)
    before = sub.nodes
    after = propagate_risk(sub)
    # Stubs stand for nodes not (yet) written: propagation must not create them.
    changed = [node for node in after if not _same_risk(before[node.id], node) and not _is_extract_stub(node)]
    if changed:
        store.write_nodes(changed)
    return after


def _same_risk(old: Node, new: Node) -> bool:
    return (
        abs(old.graph_risk - new.graph_risk) < 1e-6
        and old.risk_explanation == new.risk_explanation
        and abs(old.pagerank - new.pagerank) < 1e-9
    )


def _is_extract_stub(node: Node) -> bool:
    return node.kind == "identifier" and node.label == node.id
