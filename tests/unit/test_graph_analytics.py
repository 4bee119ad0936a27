"""Graph analytics on small hand-built graphs: propagation, hubs, seizures, components, paths, sentences."""

from __future__ import annotations

from graph.analytics import (
    InMemoryGraph,
    Subgraph,
    connected_components,
    ego_network,
    extract,
    paths_to_watchlist,
    propagate_risk,
    shortest_path,
)
from graph.explain import explain_path
from graph.links import links_of, watchlist_node_id
from graph.model import Node, edge
from schemas.records import Booking, Party, Passenger, ScreeningHit


def node(node_id: str, kind: str = "company", **fields: object) -> Node:
    return Node.model_validate({"id": node_id, "kind": kind, "label": node_id.upper(), **fields})


def chain() -> Subgraph:
    """wl <-matched- A -phone- B -phone- C, and an unconnected D."""
    nodes = [
        node("wl", "watchlist_entry", watchlisted=True, list_name="UN"),
        node("a"),
        node("p1", "phone"),
        node("b", "person", roles=["traveller"]),
        node("p2", "phone"),
        node("c"),
        node("d"),
    ]
    edges = [
        edge("matched_to", "a", "wl", weight=0.9, detail="0.90 name"),
        edge("has_phone", "a", "p1"),
        edge("has_phone", "b", "p1"),
        edge("has_phone", "b", "p2"),
        edge("has_phone", "c", "p2"),
    ]
    return InMemoryGraph(nodes, edges).all()


def test_risk_decays_with_distance_and_stays_off_unconnected_nodes() -> None:
    risk = {n.id: n.graph_risk for n in propagate_risk(chain())}
    assert risk["wl"] == 1.0
    assert risk["a"] == 0.9
    assert risk["a"] > risk["b"] > risk["c"] > 0
    assert risk["d"] == 0.0


def test_explanation_is_the_path_that_carried_the_risk() -> None:
    nodes = {n.id: n for n in propagate_risk(chain())}
    assert nodes["c"].risk_path == ["c", "p2", "b", "p1", "a", "wl"]
    assert nodes["c"].risk_explanation == (
        "C shares a phone (P2) with traveller B, who shares a phone (P1) with A, "
        "which is listed on UN as WL (match 0.90)"
    )
    assert nodes["d"].risk_explanation is None


def test_hubs_pass_on_less() -> None:
    nodes = [node("wl", "watchlist_entry", watchlisted=True), node("a"), node("hub", "address"), node("x")]
    edges = [edge("matched_to", "a", "wl"), edge("has_address", "a", "hub"), edge("has_address", "x", "hub")]
    quiet = {n.id: n.graph_risk for n in propagate_risk(InMemoryGraph(nodes, edges).all())}
    crowd = [node(f"n{i}") for i in range(50)]
    crowded_edges = edges + [edge("has_address", f"n{i}", "hub") for i in range(50)]
    loud = {n.id: n.graph_risk for n in propagate_risk(InMemoryGraph(nodes + crowd, crowded_edges).all())}
    assert loud["x"] < quiet["x"] / 2


def test_previously_seized_nodes_seed_propagation() -> None:
    nodes = [node("seized", "consignment", seized=True), node("party"), node("other", "consignment")]
    edges = [edge("consigned_to", "seized", "party"), edge("consigned_to", "other", "party")]
    result = {n.id: n for n in propagate_risk(InMemoryGraph(nodes, edges).all())}
    assert result["seized"].graph_risk == 0.8
    assert 0 < result["other"].graph_risk < 0.8
    assert result["other"].risk_explanation is not None
    assert result["other"].risk_explanation.endswith("previously seized")


def test_no_seeds_no_risk_and_pagerank_follows_seeds() -> None:
    nodes = [node("a"), node("b")]
    quiet = propagate_risk(InMemoryGraph(nodes, [edge("ships_to", "a", "b")]).all())
    assert all(n.graph_risk == 0 and n.pagerank == 0 for n in quiet)
    ranked = {n.id: n.pagerank for n in propagate_risk(chain())}
    assert ranked["a"] > ranked["c"] > 0
    assert ranked["d"] == 0


def test_components_ego_and_shortest_path() -> None:
    sub = chain()
    components = connected_components(sub)
    assert components[0] == {"wl", "a", "p1", "b", "p2", "c"} and {"d"} in components
    ego = ego_network(sub, "b", depth=1)
    assert set(ego.nodes) == {"b", "p1", "p2"}
    path = shortest_path(sub, "c", "a")
    assert path is not None and path.node_ids == ["c", "p2", "b", "p1", "a"]
    assert shortest_path(sub, "c", "d") is None


def test_paths_to_watchlist_strongest_first() -> None:
    sub = chain()
    paths = paths_to_watchlist(sub, "c")
    assert paths[0].node_ids[-1] == "wl" and paths[0].node_ids[0] == "c"
    assert 0 < paths[0].risk < 1
    assert paths_to_watchlist(sub, "d") == []


def test_extract_walks_depth_from_a_source() -> None:
    graph = InMemoryGraph(chain().nodes.values(), chain().edges)
    near = extract(graph, ["c"], depth=2)
    assert set(near.nodes) == {"c", "p2", "b"}
    far = extract(graph, ["c"], depth=5)
    assert "wl" in far.nodes


def test_records_to_explained_risk_end_to_end() -> None:
    hit = ScreeningHit(
        entry_id="1",
        list_name="OFAC SDN",
        matched_name="BAD CO",
        query_name="Bad Co",
        score=1.0,
        explanation="exact",
        field="payer_name",
    )
    booking = Booking(
        id="booking-1",
        source_format="t",
        record_locator="AB12CD",
        passenger_ids=["passenger-1"],
        payer_name="Bad Co",
        screening=[hit],
    )
    traveller = Passenger(
        id="passenger-1",
        source_format="t",
        full_name="JOHN ROE",
        booking_id="booking-1",
        record_locator="AB12CD",
        emails=["roe@example.com"],
    )
    shipper = Party(id="party-1", source_format="t", name="ROE EXPORTS", roles=["shipper"], emails=["ROE@example.com"])
    graph = InMemoryGraph()
    for record in (booking, traveller, shipper):
        graph.add(*links_of(record))
    nodes = {n.id: n for n in propagate_risk(graph.all())}
    assert nodes["party-1"].risk_explanation == (
        "shipper ROE EXPORTS shares an e-mail address (roe@example.com) with traveller JOHN ROE, "
        "whose booking AB12CD was paid by Bad Co, which is listed on OFAC SDN (match 1.00)"
    )
    assert nodes[watchlist_node_id("OFAC SDN", "1")].graph_risk == 1.0


def test_explain_path_reads_reverse_edges() -> None:
    a, b, c = node("cons", "consignment", label="consignment X"), node("party"), node("page", "web_page")
    text = explain_path([a, b, c], [edge("consigned_to", "cons", "party"), edge("mentioned_in", "party", "page")])
    assert text == 'consignment X is consigned to PARTY, which is mentioned in web page "PAGE"'
    back = explain_path([c, b, a], [edge("mentioned_in", "party", "page"), edge("consigned_to", "cons", "party")])
    assert back == 'web page "PAGE" mentions PARTY, which is the consignee of consignment X'
