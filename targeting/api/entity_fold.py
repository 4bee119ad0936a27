"""The graph as an analyst reads it: one node per resolved entity, not one per feed record.

The link graph keeps a node per record and ties an entity's records to its canonical record with
``same_as`` edges (``resolution.graph_links``; a flight leg record to its flight key likewise), and a
company record to its organisation-name node with a ``named`` edge. Drawn as
is, one traveller shows as an API record, a PNR record and a booking twice over. Folding draws each
entity as its canonical record's node, with the ids of its records (``members``), carrying every edge of
its records (one per relation and other end, the strongest kept), ``same_as`` edges left out, and the
explanation paths re-mapped onto the folded nodes. Only the view is folded: risk and paths are computed
on the record graph as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from targeting.api.purpose import MASK
from targeting.api.views import GraphEdge, GraphNode, GraphPath, GraphView

SAME_AS = "same_as"
# A company record and its organisation-name node (``graph.links``): one company to the analyst, and to risk
# propagation (weight 1.0, silent in path sentences, like ``same_as``).
NAMED = "named"
IDENTITY = (SAME_AS, NAMED)  # the stronger first: a record resolved into an entity is drawn with that entity


def canonical_map(view: GraphView) -> dict[str, str]:
    """Each node id of the view -> the id of the node it is drawn as (itself when it is its own entity).

    A record points to its entity by ``GraphNode.entity`` or a ``same_as`` (else ``named``) edge; chains (a leg record's
    entity that is itself a record of a flight key) are followed to their end. When the end is not in the
    view, or is a key rather than a record (a booking locator, a flight, an organisation name), the entity is
    drawn as its canonical record, so every record of it still meets in one node."""
    points_to: dict[str, str] = {}
    for relation in IDENTITY:
        for edge in view.edges:
            if edge.relation == relation and edge.source != edge.target:
                points_to.setdefault(edge.source, edge.target)
    for node in view.nodes:
        if node.entity and node.entity != node.id:
            points_to[node.id] = node.entity

    def end(node_id: str) -> str:
        seen = {node_id}
        while node_id in points_to and points_to[node_id] not in seen:
            node_id = points_to[node_id]
            seen.add(node_id)
        return node_id

    records = {n.id for n in view.nodes if n.record_type}
    ends = {n.id: end(n.id) for n in view.nodes}
    groups: dict[str, list[str]] = {}
    for node_id, group_end in ends.items():
        groups.setdefault(group_end, []).append(node_id)
    drawn_as: dict[str, str] = {}
    for group_end, ids in groups.items():
        if group_end in records or (group_end in ends and not records.intersection(ids)):
            continue
        # A key (booking locator, flight, organisation name) or an absent end: drawn as the entity's record,
        # the canonical one (which points to no other record) first.
        in_group = sorted(records.intersection(ids)) or sorted(ids)
        drawn_as[group_end] = next((i for i in in_group if points_to.get(i) not in records), in_group[0])
    return {node_id: drawn_as.get(e, e) for node_id, e in ends.items()}


def _merged_node(base: GraphNode, group: list[GraphNode]) -> GraphNode:
    """The canonical node standing for its records: its own label and explanation (so masking of the
    canonical record still governs what shows; a masked PNR record's label gives way to the name another
    record of the entity, not masked, shows anyway), the highest risk and every flag of its records. Its
    ``members`` are the feed records folded in (a booking locator, a flight key or an organisation name
    is no record: a booking record and its locator are one booking of one record)."""
    records = {m for n in group for m in (n.members or ([n.id] if n.record_type else []))}
    members = [*([base.id] if base.id in records else []), *sorted(records - {base.id})]
    risks = [n.risk for n in group if n.risk is not None]
    shown_label = next((n.label for n in group if n.label != MASK and n.record_type), base.label)
    return base.model_copy(update={
        "label": shown_label if base.label == MASK else base.label,
        "risk": max(risks) if risks else None,
        "watchlisted": any(n.watchlisted for n in group),
        "seized": any(n.seized for n in group),
        "list_name": base.list_name or next((n.list_name for n in group if n.list_name), None),
        "entity": None,
        "members": members if len(members) > 1 else [],
    })


def _stronger(edge: GraphEdge, other: GraphEdge, on_path: set[str]) -> bool:
    """Whether ``edge`` is kept over ``other``: heavier, then on an explanation path, then backed by evidence."""
    def rank(e: GraphEdge) -> tuple[float, bool, bool, str]:
        return (e.weight, e.id in on_path, e.evidence is not None, e.id)
    return rank(edge) > rank(other)


def _folded_path(path: GraphPath, drawn: Mapping[str, str], edge_as: Mapping[str, str]) -> GraphPath:
    nodes: list[str] = []
    for node_id in path.nodes:
        mapped = drawn.get(node_id, node_id)
        if not nodes or nodes[-1] != mapped:
            nodes.append(mapped)
    edges = list(dict.fromkeys(edge_as[e] for e in path.edges if e in edge_as))
    return path.model_copy(update={"nodes": nodes, "edges": edges, "target": drawn.get(path.target, path.target)})


def _unique(paths: Iterable[GraphPath]) -> list[GraphPath]:
    """The folded paths, each once; a path that comes back to a node it left (a traveller's API record, his
    passport, his PNR record: one person sharing a passport with himself) is left out when another remains."""
    kept: dict[tuple[tuple[str, ...], tuple[str, ...]], GraphPath] = {}
    for path in paths:
        kept.setdefault((tuple(path.nodes), tuple(path.edges)), path)
    straight = [p for p in kept.values() if len(set(p.nodes)) == len(p.nodes)]
    return straight or list(kept.values())


def fold_entities(view: GraphView) -> GraphView:
    """``view`` with each resolved entity drawn as one node (see the module's docstring)."""
    drawn = canonical_map(view)
    groups: dict[str, list[GraphNode]] = {}
    for node in view.nodes:
        groups.setdefault(drawn[node.id], []).append(node)
    by_id = {n.id: n for n in view.nodes}
    nodes = [group[0] if len(group) == 1 and group[0].entity is None else _merged_node(by_id[key], group)
             for key, group in sorted(groups.items())]
    on_path = {e for p in view.paths for e in p.edges}
    kept: dict[tuple[str, str, str], GraphEdge] = {}
    edge_as: dict[str, str] = {}  # every edge id drawn -> the id of the edge it is drawn as
    for edge in view.edges:
        source, target = drawn.get(edge.source, edge.source), drawn.get(edge.target, edge.target)
        if edge.relation == SAME_AS or source == target:  # a ``named`` edge between two entities stays
            continue
        key = (edge.relation, source, target)
        moved = edge if (source, target) == (edge.source, edge.target) else edge.model_copy(
            update={"source": source, "target": target})
        if key not in kept or _stronger(moved, kept[key], on_path):
            kept[key] = moved
    for edge in view.edges:
        key = (edge.relation, drawn.get(edge.source, edge.source), drawn.get(edge.target, edge.target))
        if key in kept:
            edge_as[edge.id] = kept[key].id
    return view.model_copy(update={
        "center": drawn.get(view.center, view.center),
        "nodes": nodes,
        "edges": sorted(kept.values(), key=lambda e: e.id),
        "paths": _unique(_folded_path(p, drawn, edge_as) for p in view.paths),
    })


def shown(view: GraphView, *, members: bool) -> GraphView:
    """The graph as an API answer shows it: folded by entity, or record by record when ``members`` is asked."""
    return view if members else fold_entities(view)
