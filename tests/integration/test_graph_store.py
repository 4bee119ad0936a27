"""The link graph in the real Elasticsearch: upserts by id, merged sightings, propagation written back."""

from __future__ import annotations

import pytest

from graph.analytics import extract, paths_to_watchlist
from graph.model import Edge, Node
from graph.store import EDGE_TYPE, NODE_TYPE, EsGraphStore, link_records, refresh_risk
from schemas.generate import es_mapping
from sekisho.settings import Settings
from streams import es_io
from tests.unit.test_targeting_planted import PHONE_PATH, bystanders, planted_records

pytestmark = pytest.mark.integration


def test_planted_graph_in_elasticsearch(stack: Settings) -> None:
    store = EsGraphStore(stack)
    store.ensure()
    records = planted_records()
    everything = [*records.values(), *bystanders()]
    written, ids = link_records(everything, store)
    store.refresh()
    nodes_before = es_io.count(NODE_TYPE, stack)
    edges_before = es_io.count(EDGE_TYPE, stack)
    assert written == nodes_before + edges_before and len(ids) == len(everything)

    # Replaying the same records writes the same documents: nothing new.
    link_records(everything, store)
    store.refresh()
    assert (es_io.count(NODE_TYPE, stack), es_io.count(EDGE_TYPE, stack)) == (nodes_before, edges_before)

    # The phone node is one document that both the traveller and the consignee reach.
    consignee = records["c-pacific-rim"].id
    refresh_risk(store, [consignee])
    store.refresh()
    stored = store.node(consignee)
    assert stored is not None and stored.graph_risk > 0.5
    assert stored.risk_explanation == PHONE_PATH

    sub = extract(store, [records["consignment"].id], depth=7)
    best = paths_to_watchlist(sub, records["consignment"].id)[0]
    assert "shares a phone (+85291234567) with traveller DMITRI VOLKOV" in best.sentence


def test_a_seizure_written_to_the_graph_seeds_its_neighbours(stack: Settings) -> None:
    store = EsGraphStore(stack)
    store.ensure()
    nodes = [
        Node(id="it-seized", kind="consignment", label="seized one"),
        Node(id="it-party", kind="company", label="IT PARTY", roles=["consignee"]),
        Node(id="it-next", kind="consignment", label="next one"),
    ]
    edges = [
        Edge(id="it-e1", kind="consigned_to", src="it-seized", dst="it-party"),
        Edge(id="it-e2", kind="consigned_to", src="it-next", dst="it-party"),
    ]
    store.upsert(nodes, edges)
    store.refresh()
    refresh_risk(store, ["it-next"])
    store.refresh()
    assert store.node("it-next").graph_risk == 0.0  # type: ignore[union-attr]
    store.mark_seized(["it-seized"])
    store.refresh()
    refresh_risk(store, ["it-seized"])
    store.refresh()
    after = store.node("it-next")
    assert after is not None and after.graph_risk > 0.3
    assert (after.risk_explanation or "").endswith("previously seized")
    # A later sighting of the seized node (from a new record) does not clear the flag.
    store.upsert([Node(id="it-seized", kind="consignment", label="seized one")], [])
    store.refresh()
    assert store.node("it-seized").seized  # type: ignore[union-attr]


def test_live_graph_mappings_are_the_generated_ones(stack: Settings) -> None:
    EsGraphStore(stack).ensure()
    assert es_io.live_mapping(NODE_TYPE, stack) == es_mapping(Node)
    assert es_io.live_mapping(EDGE_TYPE, stack) == es_mapping(Edge)
