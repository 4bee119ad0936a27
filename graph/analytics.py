"""Graph analytics on an extracted subgraph: the one module that imports networkx.

Callers hand in nodes and edges (from ``graph.store`` or built in memory) and get plain values back:
components, ego networks, paths to watchlisted nodes, and risk propagation whose result is written
back onto the nodes with the path that carried it, rendered as a sentence.

Risk propagation. Seeds are watchlist entries (strength 1) and nodes previously seized (strength
``SEIZED_STRENGTH``). Risk flows along edges, multiplied at each hop by the edge kind's transmission
(a shared phone carries more than a shared flight) and by the screening score on ``matched_to``
edges, and is damped when it passes through hubs (a phone shared by 200 records says little).
A node's ``graph_risk`` is the strongest such product over all paths to any seed; the path is its
explanation. The personalised PageRank from the same seeds is stored beside it (``pagerank``) as
a whole-network ranking signal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx

from graph.explain import SHARED_KINDS, explain_path
from graph.model import Edge, Node, merge_nodes
from schemas.records import EvidenceLink

TRANSMISSION: dict[str, float] = {
    "has_phone": 0.9,
    "has_email": 0.9,
    "has_address": 0.6,
    "has_document": 0.95,
    "has_payment": 0.9,
    "has_identifier": 0.8,
    "on_booking": 0.9,
    "co_travel": 0.8,
    "paid_by": 0.9,
    "booked_via": 0.3,
    "on_flight": 0.05,  # everyone on the flight
    "shipped_by": 0.8,
    "consigned_to": 0.8,
    "notify": 0.6,
    "ships_to": 0.6,
    "imported_by": 0.8,
    "exported_by": 0.7,
    "declared_by": 0.5,
    "declares_for": 0.5,
    "in_container": 0.7,
    "on_vessel": 0.05,
    "covered_by": 0.9,
    "named": 1.0,
    "same_as": 1.0,
    "mentioned_in": 0.4,
    "matched_to": 1.0,  # times the screening score carried in the edge's weight
}
SEIZED_STRENGTH = 0.8
HUB_DEGREE = 5  # above this degree a shared value (phone, address...) passes on sqrt(HUB_DEGREE / degree)
ENTITY_HUB_DEGREE = 25  # the same for people, companies and records, which have many attributes
MIN_RISK = 0.01
_SOURCE = "\x00seeds"


class NeighbourSource(Protocol):
    """Where subgraphs are extracted from: the ES store in production, a dict in tests."""

    def nodes(self, ids: Iterable[str]) -> list[Node]: ...

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]: ...


@dataclass(frozen=True)
class Subgraph:
    nodes: dict[str, Node]
    edges: list[Edge]


@dataclass(frozen=True)
class RiskPath:
    """A path from ``node_ids[0]`` to a seed, its strength and its sentence."""

    node_ids: list[str]
    edge_ids: list[str]
    risk: float
    sentence: str
    evidence: list[EvidenceLink] = field(default_factory=list)  # of the web-asserted edges on the path


class InMemoryGraph:
    """A ``NeighbourSource`` over lists of nodes and edges (tests, CLI on files, the demo)."""

    def __init__(self, nodes: Iterable[Node] = (), edges: Iterable[Edge] = ()) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, Edge] = {}
        self._touching: dict[str, set[str]] = {}
        self.add(nodes, edges)

    def add(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        for node in nodes:
            old = self._nodes.get(node.id)
            self._nodes[node.id] = node if old is None else merge_nodes(old, node)
        for item in edges:
            self._edges[item.id] = item
            self._touching.setdefault(item.src, set()).add(item.id)
            self._touching.setdefault(item.dst, set()).add(item.id)

    def replace_nodes(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            self._nodes[node.id] = node

    def remove_edges(self, edge_ids: Iterable[str]) -> None:
        for edge_id in edge_ids:
            item = self._edges.pop(edge_id, None)
            if item is not None:
                self._touching.get(item.src, set()).discard(edge_id)
                self._touching.get(item.dst, set()).discard(edge_id)

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        return [self._nodes[i] for i in ids if i in self._nodes]

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        found = {edge_id for i in ids for edge_id in self._touching.get(i, ())}
        return [self._edges[e] for e in sorted(found)]

    def all(self) -> Subgraph:
        return Subgraph(dict(self._nodes), list(self._edges.values()))


class LayeredSource:
    """Reads ``base`` (e.g. Elasticsearch) with ``overlay`` on top: links written too recently to be
    searchable yet (the index refreshes every second) are still seen."""

    def __init__(self, base: NeighbourSource, overlay: InMemoryGraph) -> None:
        self.base = base
        self.overlay = overlay

    def nodes(self, ids: Iterable[str]) -> list[Node]:
        wanted = list(ids)
        found = {node.id: node for node in self.base.nodes(wanted)}
        for node in self.overlay.nodes(wanted):
            old = found.get(node.id)
            found[node.id] = node if old is None else merge_nodes(old, node)
        return list(found.values())

    def edges_touching(self, ids: Iterable[str]) -> list[Edge]:
        wanted = list(ids)
        found = {item.id: item for item in self.base.edges_touching(wanted)}
        found.update({item.id: item for item in self.overlay.edges_touching(wanted)})
        return list(found.values())


def extract(source: NeighbourSource, start: Iterable[str], depth: int = 3, max_nodes: int = 5000) -> Subgraph:
    """The ego network of ``start`` to ``depth`` hops (breadth first, stopping at ``max_nodes``)."""
    seen: set[str] = set(start)
    frontier = set(seen)
    edges: dict[str, Edge] = {}
    for _ in range(depth):
        if not frontier or len(seen) >= max_nodes:
            break
        found = source.edges_touching(frontier)
        nxt: set[str] = set()
        for item in found:
            edges[item.id] = item
            for end in (item.src, item.dst):
                if end not in seen and len(seen) + len(nxt) < max_nodes:
                    nxt.add(end)
        seen |= nxt
        frontier = nxt
    nodes = {node.id: node for node in source.nodes(seen)}
    endpoints = {end for item in edges.values() for end in (item.src, item.dst)}
    for node_id in (seen - nodes.keys()) & endpoints:  # an edge may name a node not yet written: keep a stub
        nodes[node_id] = Node(id=node_id, kind="identifier", label=node_id)
    kept = [item for item in edges.values() if item.src in nodes and item.dst in nodes]
    return Subgraph(nodes, kept)


def transmission(item: Edge) -> float:
    return TRANSMISSION.get(item.kind, 0.5) * max(0.0, min(1.0, item.weight))


def _graph(sub: Subgraph) -> nx.Graph:
    """Undirected view; between two nodes the edge that transmits most is kept."""
    graph = nx.Graph()
    for node_id, node in sub.nodes.items():
        graph.add_node(node_id, hub=HUB_DEGREE if node.kind in SHARED_KINDS else ENTITY_HUB_DEGREE)
    for item in sub.edges:
        strength = transmission(item)
        current = graph.get_edge_data(item.src, item.dst)
        if current is None or current["strength"] < strength:
            graph.add_edge(item.src, item.dst, edge=item, strength=strength)
    return graph


def connected_components(sub: Subgraph) -> list[set[str]]:
    """Components, largest first."""
    return sorted((set(c) for c in nx.connected_components(_graph(sub))), key=len, reverse=True)


def ego_network(sub: Subgraph, node_id: str, depth: int = 2) -> Subgraph:
    graph = _graph(sub)
    if node_id not in graph:
        return Subgraph({}, [])
    keep = set(nx.ego_graph(graph, node_id, radius=depth).nodes)
    return Subgraph(
        {k: v for k, v in sub.nodes.items() if k in keep},
        [e for e in sub.edges if e.src in keep and e.dst in keep],
    )


def seeds_of(sub: Subgraph) -> dict[str, float]:
    seeds: dict[str, float] = {}
    for node in sub.nodes.values():
        if node.watchlisted or node.kind == "watchlist_entry":
            seeds[node.id] = 1.0
        elif node.seized:
            seeds[node.id] = SEIZED_STRENGTH
    return seeds


def _cost_function(graph: nx.Graph, seeds: Iterable[str] = ()) -> Any:
    """-log of what an edge passes on, plus the damping of the hub it leaves (first argument).

    Seeds are not damped: a watchlist entry matched by many records vouches for each of them.
    """
    undamped = set(seeds)

    def cost(here: str, _there: str, data: dict[str, Any]) -> float | None:
        if here == _SOURCE:
            return float(data["cost"])
        strength = float(data["strength"])
        if strength <= 0:
            return None  # networkx: None hides the edge
        degree = graph.degree(here)
        hub = int(graph.nodes[here].get("hub", HUB_DEGREE))
        damping = math.sqrt(hub / degree) if degree > hub and here not in undamped else 1.0
        return -math.log(strength * damping)

    return cost


def _path_of(sub: Subgraph, graph: nx.Graph, path: list[str], risk: float) -> RiskPath:
    """``path`` runs subject -> ... -> seed."""
    edges = [graph.edges[a, b]["edge"] for a, b in itertools.pairwise(path)]
    nodes = [sub.nodes[n] for n in path]
    return RiskPath(
        node_ids=list(path),
        edge_ids=[e.id for e in edges],
        risk=risk,
        sentence=explain_path(nodes, edges),
        evidence=evidence_links(edges),
    )


def evidence_links(edges: Iterable[Edge]) -> list[EvidenceLink]:
    """The archived copies (with grades) behind the edges that crawled pages asserted, one per copy."""
    links: dict[str, EvidenceLink] = {}
    for item in edges:
        if item.evidence and item.evidence_digest and item.evidence not in links:
            links[item.evidence] = EvidenceLink(
                evidence=item.evidence, digest=item.evidence_digest, grade=item.grade, source_record=item.source_record
            )
    return list(links.values())


def propagate_risk(sub: Subgraph, seeds: dict[str, float] | None = None) -> list[Node]:
    """Every node with its ``graph_risk``, ``pagerank`` and explanation written back (seeds keep 1/0.8)."""
    seeds = seeds_of(sub) if seeds is None else seeds
    graph = _graph(sub)
    if not seeds:
        return [
            n.model_copy(
                update={
                    "graph_risk": 0.0,
                    "pagerank": 0.0,
                    "risk_explanation": None,
                    "risk_path": [],
                    "risk_evidence": [],
                }
            )
            for n in sub.nodes.values()
        ]
    cost = _cost_function(graph, seeds)
    graph.add_node(_SOURCE)
    for seed, strength in seeds.items():
        if seed in graph:
            graph.add_edge(_SOURCE, seed, cost=-math.log(max(strength, 1e-9)), strength=strength)
    distances, paths = nx.single_source_dijkstra(graph, _SOURCE, weight=cost)
    graph.remove_node(_SOURCE)
    rank = _pagerank(graph, seeds)
    updated: list[Node] = []
    for node_id, node in sub.nodes.items():
        risk = math.exp(-distances[node_id]) if node_id in distances else 0.0
        update: dict[str, Any] = {
            "graph_risk": round(risk, 6),
            "pagerank": rank.get(node_id, 0.0),
            "risk_explanation": None,
            "risk_path": [],
            "risk_evidence": [],
        }
        path = paths.get(node_id)
        if path is not None and risk >= MIN_RISK and len(path) > 2:
            subject_to_seed = list(reversed(path[1:]))
            carried = _path_of(sub, graph, subject_to_seed, risk)
            update["risk_explanation"] = carried.sentence
            update["risk_path"] = carried.node_ids
            update["risk_evidence"] = carried.evidence
        updated.append(node.model_copy(update=update))
    return updated


def _pagerank(graph: nx.Graph, seeds: dict[str, float]) -> dict[str, float]:
    personal = {seed: strength for seed, strength in seeds.items() if seed in graph}
    if not personal or graph.number_of_edges() == 0:
        return {}
    ranks: dict[str, float] = nx.pagerank(graph, alpha=0.85, personalization=personal, weight="strength")
    return {k: round(v, 8) for k, v in ranks.items()}


def paths_to_watchlist(sub: Subgraph, node_id: str, limit: int = 3, max_hops: int = 8) -> list[RiskPath]:
    """The strongest simple paths from ``node_id`` to watchlisted or seized nodes, strongest first."""
    graph = _graph(sub)
    seeds = seeds_of(sub)
    if node_id not in graph or not seeds:
        return []
    cost = _cost_function(graph, seeds)
    found: list[RiskPath] = []
    for seed, strength in seeds.items():
        if seed == node_id or seed not in graph or not nx.has_path(graph, node_id, seed):
            continue
        for count, path in enumerate(nx.shortest_simple_paths(graph, node_id, seed, weight=cost)):
            if count >= limit or len(path) - 1 > max_hops:
                break
            # Costs are charged on the node an edge leaves, seen from the seed's side: walk it that way.
            backwards = list(reversed(path))
            total = sum(cost(a, b, graph.edges[a, b]) or 0.0 for a, b in itertools.pairwise(backwards))
            found.append(_path_of(sub, graph, list(path), strength * math.exp(-total)))
    found.sort(key=lambda p: (-p.risk, len(p.node_ids)))
    return found[:limit]


def shortest_path(sub: Subgraph, source: str, target: str) -> RiskPath | None:
    """The fewest-hop path between two nodes, explained; None when they are not connected."""
    graph = _graph(sub)
    try:
        path = nx.shortest_path(graph, source, target)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    return _path_of(sub, graph, list(path), 0.0)


def propagate_all(sub: Subgraph) -> tuple[list[Node], Sequence[set[str]]]:
    """Propagation over a whole (small) graph, and its components for reporting."""
    return propagate_risk(sub), connected_components(sub)


def layout(node_ids: Sequence[str], links: Iterable[tuple[str, str]], *, width: float, height: float,
           margin: float = 40.0, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Positions for drawing a small graph in a ``width`` x ``height`` box (a picture for a report).

    A seeded force-directed layout, so the same case draws the same picture each time it is exported.
    """
    g = nx.Graph()
    g.add_nodes_from(node_ids)
    g.add_edges_from((a, b) for a, b in links if a in g and b in g and a != b)
    if len(g) == 0:
        return {}
    if len(g) == 1:
        return {next(iter(g)): (width / 2, height / 2)}
    raw = nx.spring_layout(g, seed=seed, k=1.6 / math.sqrt(len(g)), iterations=200)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        str(n): (margin + (float(p[0]) - min(xs)) / span_x * (width - 2 * margin),
                 margin + (float(p[1]) - min(ys)) / span_y * (height - 2 * margin))
        for n, p in raw.items()
    }
