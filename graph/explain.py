"""Paths through the link graph rendered as sentences an analyst can check.

``explain_path`` turns the nodes and edges of one path (from the subject to the node that carried the
risk) into e.g. "consignee PACIFIC RIM PRECISION MACHINERY LTD shares a phone (+85291234567) with
traveller DMITRI VOLKOV, whose booking QX7P2M was paid by KOREA MINING DEVELOPMENT TRADING
CORPORATION, which is listed on OFAC SDN (match 0.97)".
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Edge, Node

# Nodes that stand for a value records share: a path through one reads "shares a phone with".
SHARED_KINDS: dict[str, str] = {
    "phone": "a phone",
    "email": "an e-mail address",
    "address": "an address",
    "payment_instrument": "a payment card",
    "travel_document": "a travel document",
    "identifier": "an identifier",
    "container": "a container",
    "air_waybill": "an air waybill",
    "transport_document": "a transport document",
    "vessel": "a vessel",
    "flight": "a flight",
    "travel_agency": "a travel agency",
}
# Hops between two names of one thing: left out of the sentence.
SILENT_KINDS = frozenset({"named", "same_as"})

# (edge kind, walked from src to dst?) -> verb phrase; {b} is the node reached.
PHRASES: dict[tuple[str, bool], str] = {
    ("on_booking", True): "travels on {b}",
    ("on_booking", False): "is the booking of {b}",
    ("co_travel", True): "travels on one booking with {b}",
    ("co_travel", False): "travels on one booking with {b}",
    ("on_flight", True): "is on {b}",
    ("on_flight", False): "carries {b}",
    ("paid_by", True): "was paid by {b}",
    ("paid_by", False): "paid for {b}",
    ("booked_via", True): "was booked via {b}",
    ("booked_via", False): "booked {b}",
    ("shipped_by", True): "was shipped by {b}",
    ("shipped_by", False): "is the shipper of {b}",
    ("consigned_to", True): "is consigned to {b}",
    ("consigned_to", False): "is the consignee of {b}",
    ("notify", True): "names {b} as notify party",
    ("notify", False): "is the notify party of {b}",
    ("ships_to", True): "ships to {b}",
    ("ships_to", False): "receives goods from {b}",
    ("imported_by", True): "was imported by {b}",
    ("imported_by", False): "imported {b}",
    ("exported_by", True): "was exported by {b}",
    ("exported_by", False): "exported {b}",
    ("declared_by", True): "was declared by {b}",
    ("declared_by", False): "declared {b}",
    ("declares_for", True): "declares for {b}",
    ("declares_for", False): "is represented by {b}",
    ("has_phone", True): "has the phone {b}",
    ("has_phone", False): "is the phone of {b}",
    ("has_email", True): "has the e-mail address {b}",
    ("has_email", False): "is the e-mail address of {b}",
    ("has_address", True): "has the address {b}",
    ("has_address", False): "is the address of {b}",
    ("has_document", True): "holds {b}",
    ("has_document", False): "is held by {b}",
    ("has_payment", True): "was paid with {b}",
    ("has_payment", False): "paid for {b}",
    ("has_identifier", True): "carries {b}",
    ("has_identifier", False): "is carried by {b}",
    ("mentioned_in", True): "is mentioned in {b}",
    ("mentioned_in", False): "mentions {b}",
    ("in_container", True): "travels in {b}",
    ("in_container", False): "holds {b}",
    ("on_vessel", True): "is carried by {b}",
    ("on_vessel", False): "carries {b}",
    ("covered_by", True): "is covered by {b}",
    ("covered_by", False): "covers {b}",
}


def describe(node: Node) -> str:
    """A node as a noun phrase: role and name ("traveller DMITRI VOLKOV", "booking QX7P2M")."""
    if node.kind == "watchlist_entry":
        return f"{node.label} ({node.list_name or 'watchlist'} entry)"
    if node.kind == "web_page":
        return f'web page "{node.label}"'
    if node.kind in ("person", "company"):
        roles = [role for role in node.roles if role != "payer"]
        role = roles[0] if roles else ("person" if node.kind == "person" else "")
        return f"{role} {node.label}".strip()
    if node.kind in SHARED_KINDS or node.kind in ("booking", "consignment", "declaration"):
        return node.label
    return node.label


def _match_phrase(edge: Edge, matched: Node, entry: Node) -> str:
    score = edge.detail.split(" ", 1)[0] if edge.detail else f"{edge.weight:.2f}"
    listed = f"is listed on {entry.list_name or 'a watchlist'}"
    if entry.label.casefold() != matched.label.casefold():
        listed += f" as {entry.label}"
    return f"{listed} (match {score})"


def explain_path(nodes: Sequence[Node], edges: Sequence[Edge]) -> str:
    """One sentence for a path ``nodes[0] -edges[0]- nodes[1] ...``; ``len(edges) == len(nodes) - 1``."""
    if not nodes:
        return ""
    hops = [(nodes[i], edges[i], nodes[i + 1]) for i in range(min(len(edges), len(nodes) - 1))]
    hops = [hop for hop in hops if hop[1].kind not in SILENT_KINDS]
    sentence = describe(nodes[0])
    previous = nodes[0]
    index = 0
    while index < len(hops):
        here, link, there = hops[index]
        forward = link.src == here.id
        after = hops[index + 1] if index + 1 < len(hops) else None
        pronoun = "who" if previous.kind == "person" else "which"
        joiner = " " if index == 0 else f", {pronoun} "
        if there.kind in SHARED_KINDS and after is not None:
            value = there.value or there.label
            clause = f"shares {SHARED_KINDS[there.kind]} ({value}) with {describe(after[2])}"
            previous, index = after[2], index + 2
        elif (
            link.kind == "on_booking"
            and forward
            and after is not None
            and after[1].kind == "paid_by"
            and after[1].src == there.id
        ):
            # "traveller X, whose booking B was paid by P" reads better than two clauses.
            payer = describe(after[2])
            if index == 0:
                clause = f"travels on {there.label}, which was paid by {payer}"
            else:
                joiner, clause = ", whose ", f"{there.label} was paid by {payer}"
            previous, index = after[2], index + 2
        elif link.kind == "matched_to":
            if there.kind == "watchlist_entry":
                clause = _match_phrase(link, here, there)
            else:
                clause = f"is the watchlist entry matched by {describe(there)}"
            previous, index = there, index + 1
        else:
            template = PHRASES.get((link.kind, forward), "is linked (" + link.kind + ") to {b}")
            clause = template.format(b=describe(there))
            previous, index = there, index + 1
        sentence += joiner + clause
    if previous.seized and previous.kind != "watchlist_entry":
        sentence += ", previously seized"
    return sentence
