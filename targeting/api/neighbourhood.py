"""An entity's neighbourhood and its explanation paths, assembled level by level from any ``Store``.

Only edges near the entity are fetched (breadth-first, a bounded number per level), so this works the
same on a few test nodes and on a graph index of millions of edges.
"""

from __future__ import annotations

from collections import deque

from targeting.api.store import Store
from targeting.api.views import GraphEdge, GraphNode, GraphPath, GraphView

EDGES_PER_LEVEL = 500


def _other(edge: GraphEdge, node_id: str) -> str:
    return edge.target if edge.source == node_id else edge.source


def collect_edges(store: Store, center: str, depth: int, max_nodes: int) -> tuple[list[GraphEdge], bool]:
    """Edges within ``depth`` hops of ``center``; ``True`` when the node budget cut the walk short."""
    seen = {center}
    frontier = {center}
    edges: dict[tuple[str, str, str], GraphEdge] = {}
    truncated = False
    for _ in range(depth):
        if not frontier:
            break
        found = store.edges_touching(frontier, EDGES_PER_LEVEL)
        truncated = truncated or len(found) >= EDGES_PER_LEVEL
        nxt: set[str] = set()
        for edge in found:
            for end in (edge.source, edge.target):
                if end not in seen:
                    if len(seen) >= max_nodes:
                        truncated = True
                        break
                    seen.add(end)
                    nxt.add(end)
            else:
                edges[(edge.source, edge.target, edge.relation)] = edge
        frontier = nxt
    return list(edges.values()), truncated


def shortest_paths(
    center: str, edges: list[GraphEdge], targets: set[str], max_paths: int = 5
) -> list[list[GraphEdge]]:
    """One shortest path (as edges, in walking order) from ``center`` to each reachable target, nearest first."""
    adjacency: dict[str, list[GraphEdge]] = {}
    for edge in edges:
        adjacency.setdefault(edge.source, []).append(edge)
        adjacency.setdefault(edge.target, []).append(edge)
    previous: dict[str, tuple[str, GraphEdge] | None] = {center: None}
    queue = deque([center])
    order: list[str] = []
    while queue:
        node = queue.popleft()
        if node in targets and node != center:
            order.append(node)
            if len(order) >= max_paths:
                break
            continue  # a path through a watchlisted node to another one adds nothing
        for edge in sorted(adjacency.get(node, []), key=lambda e: (e.relation, e.source, e.target)):
            nxt = _other(edge, node)
            if nxt not in previous:
                previous[nxt] = (node, edge)
                queue.append(nxt)
    paths: list[list[GraphEdge]] = []
    for target in order:
        chain: list[GraphEdge] = []
        step = previous[target]
        while step is not None:
            node, edge = step
            chain.append(edge)
            step = previous[node]
        paths.append(list(reversed(chain)))
    return paths


def describe_path(center: str, chain: list[GraphEdge], nodes: dict[str, GraphNode]) -> tuple[list[str], str]:
    """The node ids along a path and a sentence an analyst can read aloud."""
    walk = [center]
    words = [nodes[center].label if center in nodes else center]
    for edge in chain:
        here = walk[-1]
        there = _other(edge, here)
        label = nodes[there].label if there in nodes else there
        arrow = f"-[{edge.relation}]->" if edge.source == here else f"<-[{edge.relation}]-"
        words.append(f"{arrow} {label}")
        walk.append(there)
    return walk, " ".join(words)


def neighbourhood(
    store: Store, center: str, *, depth: int = 2, path_depth: int = 6, max_nodes: int = 300
) -> GraphView:
    """The ego network of ``center`` (``depth`` hops) plus the shortest paths to watchlisted nodes.

    Paths may reach further than the displayed neighbourhood; their nodes are added so that the page
    can draw and highlight them.
    """
    path_edges, truncated = collect_edges(store, center, max(depth, path_depth), max_nodes)
    near_edges, _ = collect_edges(store, center, depth, max_nodes)
    ids = {center} | {e.source for e in path_edges} | {e.target for e in path_edges}
    nodes = store.nodes(ids)
    watchlisted = {i for i, n in nodes.items() if n.watchlisted}
    paths: list[GraphPath] = []
    shown_edges = {(e.source, e.target, e.relation): e for e in near_edges}
    for chain in shortest_paths(center, path_edges, watchlisted):
        walk, sentence = describe_path(center, chain, nodes)
        paths.append(GraphPath(nodes=walk, edges=chain, target=walk[-1], explanation=sentence))
        for edge in chain:
            shown_edges[(edge.source, edge.target, edge.relation)] = edge
    shown_ids = {center} | {e.source for e in shown_edges.values()} | {e.target for e in shown_edges.values()}
    shown_nodes = [
        nodes.get(i) or GraphNode(id=i, kind="unknown", label=i) for i in sorted(shown_ids)
    ]
    return GraphView(
        center=center, nodes=shown_nodes, edges=list(shown_edges.values()), paths=paths, truncated=truncated
    )
