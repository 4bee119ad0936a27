"""Canonical entities in the link graph: a ``same_as`` edge from each record to its entity's canonical record.

The graph keeps one node per record (replays stay idempotent); an entity's records hang off its
canonical record by ``same_as`` edges, which carry the reasons of the merge, weigh 1.0 in risk
propagation and are left out of path sentences. So risk reaches every record of an entity, and a path
through a traveller's API and PNR records reads as one traveller.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.model import Edge, edge
from resolution.clusters import Resolver


def entity_edges(resolver: Resolver, record_ids: Iterable[str]) -> list[Edge]:
    """The ``same_as`` edges of the given records (none for a record that is its own entity)."""
    edges: list[Edge] = []
    for record_id in sorted(set(record_ids)):
        entity = resolver.entity_of(record_id)
        if entity == record_id:
            continue
        membership = resolver.membership(record_id)
        detail = "; ".join(membership.reasons) if membership and membership.reasons else None
        edges.append(edge("same_as", record_id, entity, source_record=record_id, detail=(detail or "")[:500] or None))
    return edges
