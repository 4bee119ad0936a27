"""Building and merging the link graph's nodes and edges (declared in ``schemas/graph.py``).

A node's id is the id of the record it stands for (a passenger, a booking, a consignment...) or, for
a value that several records share (a phone, an e-mail, a container number), ``make_id`` of its kind
and normalised value, so that two records with the same phone meet at one node. An edge's id is
``make_id(kind, src, dst)``: replaying a record upserts the same documents.
"""

from __future__ import annotations

from schemas.graph import Edge, EdgeKind, Node, NodeKind
from schemas.records import make_id

__all__ = ["Edge", "EdgeKind", "Node", "NodeKind", "edge", "merge_nodes"]


def edge(
    kind: EdgeKind,
    src: str,
    dst: str,
    *,
    source_record: str | None = None,
    detail: str | None = None,
    weight: float = 1.0,
    evidence: str | None = None,
    evidence_digest: str | None = None,
    grade: str | None = None,
) -> Edge:
    """An edge with its deterministic id."""
    return Edge(
        id=make_id(kind, src, dst),
        kind=kind,
        src=src,
        dst=dst,
        source_record=source_record,
        detail=detail,
        weight=weight,
        evidence=evidence,
        evidence_digest=evidence_digest,
        grade=grade,
    )


def merge_nodes(old: Node, new: Node) -> Node:
    """Combine two sightings of the same node: union of roles, flags kept, the richer label kept."""
    roles = sorted(set(old.roles) | set(new.roles))
    # A reference seen before its record carries only the id as its label: the real name wins.
    label = old.label if _is_stub(new) and not _is_stub(old) else new.label
    return old.model_copy(
        update={
            "label": label,
            "value": new.value or old.value,
            "record_type": new.record_type or old.record_type,
            "roles": roles,
            "list_name": new.list_name or old.list_name,
            "watchlisted": old.watchlisted or new.watchlisted,
            "seized": old.seized or new.seized,
            "screening_score": max(old.screening_score, new.screening_score),
        }
    )


def _is_stub(node: Node) -> bool:
    return node.id in node.label
