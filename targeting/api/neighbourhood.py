"""An entity's neighbourhood and its explanation paths, as the API and the analyst page show them.

The graph work itself (extraction, ego network, risk paths and their sentences) is ``graph.analytics``;
this module only chooses the extents and turns the result into API views.
"""

from __future__ import annotations

from graph.analytics import NeighbourSource, ego_network, extract, paths_to_watchlist
from graph.model import Edge, Node
from targeting.api.store import Store
from targeting.api.views import EntityCard, GraphEdge, GraphNode, GraphPath, GraphView


def node_view(node: Node, entity: str | None = None) -> GraphNode:
    risk = max(node.graph_risk, node.screening_score)
    return GraphNode(
        id=node.id,
        kind=node.kind,
        label=node.label,
        risk=round(risk, 4) if risk else None,
        watchlisted=node.watchlisted or node.kind == "watchlist_entry",
        seized=node.seized,
        list_name=node.list_name,
        explanation=node.risk_explanation,
        entity=entity,
        record_type=node.record_type,
    )


def edge_view(item: Edge) -> GraphEdge:
    return GraphEdge(
        id=item.id,
        source=item.src,
        target=item.dst,
        relation=item.kind,
        detail=item.detail,
        source_record=item.source_record,
        evidence=item.evidence,
        grade=item.grade,
        weight=item.weight,
    )


def neighbourhood(
    source: NeighbourSource,
    center: str,
    *,
    depth: int = 2,
    path_depth: int = 6,
    max_paths: int = 3,
    max_nodes: int = 2000,
) -> GraphView:
    """The ego network of ``center`` (``depth`` hops) plus its strongest paths to watchlisted nodes.

    Paths may reach beyond the drawn neighbourhood; their nodes and edges are added so the page can
    draw and highlight the whole chain. Each drawn record's entity (its ``same_as`` end, else the
    organisation-name node of a company record) is added too, with the edge, and named on the record's
    node, so ``entity_fold`` can draw the entity as one node even when its canonical record is further
    away than ``depth``.
    """
    wide = extract(source, [center], depth=max(depth, path_depth), max_nodes=max_nodes)
    near = ego_network(wide, center, depth)
    found = paths_to_watchlist(wide, center, limit=max_paths, max_hops=path_depth)
    nodes = dict(near.nodes)
    edges = {e.id: e for e in near.edges}
    wide_edges = {e.id: e for e in wide.edges}
    paths: list[GraphPath] = []
    for path in found:
        for node_id in path.node_ids:
            nodes[node_id] = wide.nodes[node_id]
        for edge_id in path.edge_ids:
            edges[edge_id] = wide_edges[edge_id]
        paths.append(
            GraphPath(
                nodes=path.node_ids,
                edges=path.edge_ids,
                target=path.node_ids[-1],
                risk=round(path.risk, 4),
                explanation=path.sentence,
            )
        )
    if center not in nodes and center in wide.nodes:
        nodes[center] = wide.nodes[center]
    identity = {e.src: e for e in wide.edges if e.kind == "named" and e.dst in wide.nodes}
    identity.update((e.src, e) for e in wide.edges if e.kind == "same_as" and e.dst in wide.nodes)
    pending = [i for i in nodes if i in identity]
    while pending:  # chains: a leg record -> its flight key, a member record -> its canonical record
        link = identity[pending.pop()]
        edges[link.id] = link
        if link.dst not in nodes:
            nodes[link.dst] = wide.nodes[link.dst]
            pending.extend([link.dst] if link.dst in identity else [])
    return GraphView(
        center=center,
        nodes=[node_view(n, identity[n.id].dst if n.id in identity else None)
               for n in sorted(nodes.values(), key=lambda n: n.id)],
        edges=[edge_view(e) for e in sorted(edges.values(), key=lambda e: e.id)],
        paths=paths,
        truncated=len(wide.nodes) >= max_nodes,
    )


def entity_card(store: Store, entity_id: str, *, depth: int = 2) -> EntityCard | None:
    """The card of one entity: its record (if it is one), its risk and why, and its neighbourhood."""
    found = store.nodes([entity_id])
    document = store.document(entity_id)
    if not found and document is None:
        return None
    graph = neighbourhood(store, entity_id, depth=depth)
    doc = document or {}
    if found:
        node = node_view(found[0])
        kind, label = found[0].record_type or node.kind, node.label
    else:
        node = None
        kind = str(doc.get("record_type", "unknown"))
        label = str(doc.get("full_name") or doc.get("name") or doc.get("title") or entity_id)
    return EntityCard(
        id=entity_id,
        kind=kind,
        label=label,
        risk=node.risk if node else None,
        watchlisted=node.watchlisted if node else False,
        explanation=node.explanation if node else None,
        document=doc,
        graph=graph,
    )
