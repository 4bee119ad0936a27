"""Folding the record graph into one node per resolved entity, for display and export."""

from __future__ import annotations

from targeting.api.entity_fold import canonical_map, fold_entities, shown
from targeting.api.purpose import MASK
from targeting.api.views import GraphEdge, GraphNode, GraphPath, GraphView


def node(node_id: str, label: str, *, entity: str | None = None, risk: float | None = None,
         watchlisted: bool = False, record: str | None = None) -> GraphNode:
    return GraphNode(id=node_id, kind="person", label=label, entity=entity, risk=risk, watchlisted=watchlisted,
                     record_type=record)


def link(relation: str, source: str, target: str, *, weight: float = 1.0, evidence: str | None = None) -> GraphEdge:
    return GraphEdge(id=f"{relation}:{source}:{target}", source=source, target=target, relation=relation,
                     weight=weight, evidence=evidence)


def traveller_view() -> GraphView:
    """WEI CHEN as an API record (canonical), a PNR record and a second API record, each with its own
    edges; the PNR record leads to the listed payer; flight leg record -> flight key (no record) by ``same_as``."""
    return GraphView(
        center="pnr-1",
        nodes=[
            node("api-1", "WEI CHEN", risk=0.4, record="passenger"),
            node("pnr-1", "CHEN WEI", entity="api-1", risk=0.91, record="passenger"),
            node("api-2", "WEI CHEN", entity="api-1", record="passenger"),
            node("phone", "+81 90 1234 5678"),
            node("card", "card 4111", risk=0.95),
            node("payer", "LISTED PAYER", watchlisted=True, risk=1.0),
            node("leg", "flight CX500 HKG-NRT", record="flight_leg"),
            node("flight", "flight CX500/2026-12-07"),
        ],
        edges=[
            link("same_as", "pnr-1", "api-1"),
            link("same_as", "api-2", "api-1"),
            link("same_as", "leg", "flight"),
            link("has_phone", "pnr-1", "phone", weight=0.6),
            link("has_phone", "api-2", "phone", weight=0.8),
            link("has_phone", "api-1", "phone", weight=0.8, evidence="ev-1"),
            link("has_payment", "pnr-1", "card"),
            link("paid_by", "card", "payer"),
            link("on_flight", "api-1", "leg"),
            link("on_flight", "api-2", "flight"),
            link("named", "api-2", "api-1"),  # an edge inside the entity: no self-loop is drawn
        ],
        paths=[GraphPath(nodes=["pnr-1", "card", "payer"], edges=["has_payment:pnr-1:card", "paid_by:card:payer"],
                         target="payer", risk=0.91, explanation="CHEN WEI paid with card 4111 of LISTED PAYER"),
               GraphPath(nodes=["api-1", "phone", "pnr-1", "card", "payer"],
                         edges=["has_phone:api-1:phone", "has_phone:pnr-1:phone", "has_payment:pnr-1:card",
                                "paid_by:card:payer"],
                         target="payer", risk=0.5, explanation="WEI CHEN shares a phone with CHEN WEI, ..."),
               GraphPath(nodes=["api-2", "api-1", "pnr-1", "card", "payer"],
                         edges=["same_as:api-2:api-1", "same_as:pnr-1:api-1", "has_payment:pnr-1:card",
                                "paid_by:card:payer"],
                         target="payer", risk=0.9, explanation="through the PNR record")],
    )


def test_records_of_an_entity_fold_into_its_canonical_node() -> None:
    folded = fold_entities(traveller_view())
    by_id = {n.id: n for n in folded.nodes}
    assert set(by_id) == {"api-1", "phone", "card", "payer", "leg"}
    wei = by_id["api-1"]
    assert wei.label == "WEI CHEN" and wei.members == ["api-1", "api-2", "pnr-1"]
    assert wei.risk == 0.91 and wei.entity is None  # the riskiest record's risk
    # A key is no record: the flight is drawn as its one leg record, with no count.
    assert by_id["leg"].members == [] and by_id["leg"].label == "flight CX500 HKG-NRT"
    assert by_id["phone"].members == []  # a node that is its own entity keeps no member list
    assert folded.center == "api-1"  # the card of a member record centres on its entity


def test_edges_are_repointed_and_deduplicated_without_same_as() -> None:
    folded = fold_entities(traveller_view())
    edges = {(e.relation, e.source, e.target): e for e in folded.edges}
    assert not [e for e in folded.edges if e.relation == "same_as"]
    assert not [e for e in folded.edges if e.source == e.target]
    assert set(edges) == {("has_phone", "api-1", "phone"), ("has_payment", "api-1", "card"),
                          ("paid_by", "card", "payer"), ("on_flight", "api-1", "leg")}
    phone = edges[("has_phone", "api-1", "phone")]
    assert phone.weight == 0.8 and phone.evidence == "ev-1"  # the strongest of the three, evidence first on a tie
    assert len(folded.edges) == len({e.id for e in folded.edges})


def test_explanation_paths_are_remapped_onto_folded_nodes() -> None:
    folded = fold_entities(traveller_view())
    edge_ids = {e.id for e in folded.edges}
    node_ids = {n.id for n in folded.nodes}
    # The paths are one and the same once the traveller's records are one node; the one through his own
    # phone back to himself is left out.
    assert len(folded.paths) == 1
    path = folded.paths[0]
    assert path.nodes == ["api-1", "card", "payer"] and path.target == "payer"
    assert path.edges == ["has_payment:pnr-1:card", "paid_by:card:payer"]
    assert set(path.edges) <= edge_ids and set(path.nodes) <= node_ids
    assert path.explanation == "CHEN WEI paid with card 4111 of LISTED PAYER" and path.risk == 0.91


def test_folding_is_idempotent_and_members_can_be_asked_for() -> None:
    view = traveller_view()
    once = fold_entities(view)
    assert fold_entities(once) == once
    assert shown(view, members=True) == view
    assert shown(view, members=False) == once


def test_an_entity_whose_canonical_record_is_not_drawn_meets_in_its_smallest_record() -> None:
    view = GraphView(center="b", nodes=[node("b", "B", entity="a", record="party"),
                                        node("c", "C", entity="a", record="party"), node("d", "D")],
                     edges=[link("knows", "b", "d"), link("knows", "c", "d")])
    assert canonical_map(view) == {"b": "b", "c": "b", "d": "d"}
    folded = fold_entities(view)
    assert [n.id for n in folded.nodes] == ["b", "d"] and folded.nodes[0].members == ["b", "c"]
    assert [(e.source, e.target) for e in folded.edges] == [("b", "d")]


def test_records_named_alike_meet_in_their_canonical_record_not_in_the_name_key() -> None:
    view = GraphView(center="name", nodes=[
        GraphNode(id="name", kind="company", label="PACIFIC RIM PRECISION MACHINERY LTD"),
        GraphNode(id="party-b", kind="company", label="Pacific Rim Precision Machinery Ltd", record_type="party"),
        GraphNode(id="party-a", kind="company", label="PACIFIC RIM PRECISION MACHINERY LTD", record_type="party"),
        GraphNode(id="consignment", kind="consignment", label="consignment 160-1", record_type="consignment")],
        edges=[link("named", "party-a", "name"), link("named", "party-b", "name"),
               link("consigned_to", "consignment", "party-b")])
    folded = fold_entities(view)
    assert [(n.id, n.members) for n in folded.nodes] == [("consignment", []), ("party-a", ["party-a", "party-b"])]
    assert [(e.relation, e.source, e.target) for e in folded.edges] == [("consigned_to", "consignment", "party-a")]
    assert folded.center == "party-a"


def test_a_masked_pnr_record_gives_way_to_the_name_the_api_record_shows_anyway() -> None:
    view = GraphView(center="api", nodes=[
        GraphNode(id="api", kind="person", label="DMITRI VOLKOV", entity="pnr", record_type="passenger"),
        GraphNode(id="pnr", kind="person", label=MASK, explanation=MASK, record_type="passenger")], edges=[])
    folded = fold_entities(view).nodes
    assert [(n.id, n.label, n.explanation, n.members) for n in folded] == [("pnr", "DMITRI VOLKOV", MASK,
                                                                           ["pnr", "api"])]
