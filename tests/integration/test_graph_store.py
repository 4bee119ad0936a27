"""The link graph in the real Elasticsearch: upserts by id, merged sightings, propagation written back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from graph.analytics import extract, paths_to_watchlist
from graph.model import Edge, Node
from graph.store import EDGE_TYPE, NODE_TYPE, EsGraphStore, link_records, refresh_risk
from schemas.generate import es_mapping
from sekisho import es_io
from sekisho.settings import Settings
from tests.integration.conftest import as_stored
from tests.unit.test_targeting_planted import PHONE_PATH, bystanders, planted_records

pytestmark = pytest.mark.integration


@pytest.fixture
def private(stack: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Graph indices of this test's own (inside the session's namespace, so cleaned up with it)."""
    settings = stack.model_copy(
        update={"namespace": f"{stack.namespace}-graph{uuid.uuid4().hex[:4]}", "feedback_dir": tmp_path}
    )
    EsGraphStore(settings).ensure()
    yield settings
    es_io.delete_namespace(settings)


def test_planted_graph_in_elasticsearch(private: Settings) -> None:
    store = EsGraphStore(private)
    store.ensure()
    records = planted_records()
    everything = [*records.values(), *bystanders()]
    written, ids = link_records(everything, store)
    store.refresh()
    nodes_before = es_io.count(NODE_TYPE, private)
    edges_before = es_io.count(EDGE_TYPE, private)
    assert written == nodes_before + edges_before and len(ids) == len(everything)

    # Replaying the same records writes the same documents: nothing new.
    link_records(everything, store)
    store.refresh()
    assert (es_io.count(NODE_TYPE, private), es_io.count(EDGE_TYPE, private)) == (nodes_before, edges_before)

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


def test_a_seizure_written_to_the_graph_seeds_its_neighbours(private: Settings) -> None:
    store = EsGraphStore(private)
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


def test_live_graph_mappings_are_the_generated_ones(private: Settings) -> None:
    EsGraphStore(private).ensure()
    assert es_io.live_mapping(NODE_TYPE, private) == as_stored(es_mapping(Node))
    assert es_io.live_mapping(EDGE_TYPE, private) == as_stored(es_mapping(Edge))


def test_an_officers_seizure_is_labelled_indexed_and_seeds_the_graph(private: Settings) -> None:
    from schemas.documents import InspectionResult
    from schemas.indexed import INSPECTION_TYPE
    from schemas.records import Consignment
    from targeting.feedback import read_labels, record_result

    store = EsGraphStore(private)
    seized, later = (
        Consignment(
            id=f"consignment-it-{n}",
            source_format="t",
            transport_document=f"160-000000{n}",
            consignee_id="party-it-shared",
            consignee_name="SHARED IMPORTS",
            arrival_date=date(2026, 11, n),
        )
        for n in (1, 2)
    )
    link_records([seized, later], store)
    store.refresh()
    assert refresh_risk(store, [later.id]) and store.node(later.id).graph_risk == 0.0  # type: ignore[union-attr]

    outcome = record_result(
        InspectionResult(
            record_id=seized.id,
            record_type="consignment",
            outcome="seizure",
            inspected_at=datetime(2026, 11, 1, 15, tzinfo=UTC),
            selection="model",
        ),
        settings=private,
    )
    assert outcome.indexed and not outcome.errors and outcome.seized_nodes == [seized.id]
    assert read_labels(private.feedback_dir / "labels.csv")[0]["illicit"] == "1"
    es_io.refresh(private)
    assert es_io.count(INSPECTION_TYPE, private) == 1
    after = store.node(later.id)
    assert after is not None and after.graph_risk > 0.3
    assert (after.risk_explanation or "").startswith("consignment 160-0000002 is consigned to consignee SHARED")
    assert (after.risk_explanation or "").endswith("previously seized")


def test_link_indexed_builds_the_graph_from_the_record_indices(private: Settings) -> None:
    from graph.store import link_indexed

    for record_type in ("passenger", "booking", "party", "consignment", "crawled_page", "flight_leg"):
        es_io.ensure_index(record_type, private)
    records = planted_records()
    es_io.write_records(list(records.values()), private)
    es_io.refresh(private)
    seen: list[int] = []
    linked, changed = link_indexed(private, batch=4, on_progress=seen.append)
    assert linked == len(records) and changed > 0 and seen
    consignee = EsGraphStore(private).node(records["c-pacific-rim"].id)
    assert consignee is not None and consignee.risk_explanation == PHONE_PATH
