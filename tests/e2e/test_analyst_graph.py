"""The graph view in headless Chromium, for a traveller on a full flight (160 co-travellers) and for a
consignment and a company at a busy consignee (40 more consignments, each with its air waybill): the hub's
neighbours fold into one node with a count that expands on click, relation checkboxes hide edge types
(never the explanation path), labels do not overlap, and the path to the listed payer stays highlighted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from graph.analytics import propagate_risk
from graph.links import links_of
from schemas.records import Consignment, Passenger, make_id
from sekisho.settings import get_settings
from targeting.api.memory_store import MemoryStore
from targeting.api.sample_data import sample_store
from tests.e2e.conftest import ENTITY_NODES, OpenPage, ServeApp, png_is_not_blank, repeated_labels

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CO_TRAVELLERS = 160
MORE_CONSIGNMENTS = 40
OVERLAPPING_LABELS = """els => {
  const boxes = els.filter(e => e.getAttribute('display') !== 'none').map(e => e.getBoundingClientRect());
  let n = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) n++;
  }
  return [n, boxes.length];
}"""


def full_flight_store() -> tuple[MemoryStore, str]:
    """The sample with 160 more travellers on VOLKOV's flight, and VOLKOV as the PNR reports him too (a second
    record of the same traveller)."""
    store = sample_store(get_settings())
    volkov = next(d for d in store.documents.values() if d.get("full_name") == "DMITRI VOLKOV")
    leg = volkov["flight_leg_ids"][0]
    api = next(r for r in store._records() if isinstance(r, Passenger) and r.id == volkov["id"])
    pnr = api.model_copy(update={"id": make_id("passenger", "pnr", "volkov"), "source_format": "pnrgov",
                                 "full_name": "VOLKOV DMITRIY", "given_names": "DMITRIY", "address": None})
    others = [pnr, *(Passenger(id=make_id("passenger", "co", str(n)), source_format="test",
                               full_name=f"TRAVELLER {n:03d}", flight_leg_ids=[leg], debarkation="NRT")
                     for n in range(CO_TRAVELLERS))]
    store.add_records(others)
    for record in others:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))
    return store, str(volkov["id"])


def test_graph_of_a_traveller_on_a_full_flight(serve_app: ServeApp, open_page: OpenPage, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    store, _ = full_flight_store()
    base, key, _ = serve_app(store, get_settings())
    with open_page(base, key) as page:
        page.fill("#search-q", "VOLKOV")
        page.click("#search-form button")
        hit = page.locator("#search-results li").filter(has_text="VOLKOV").first
        opened = hit.get_attribute("data-id")  # the entity's best hit: either of its records
        hit.click()
        graph = page.get_by_test_id("graph")
        hub = graph.locator(".node.hub-group")
        expect(hub).to_have_count(1, timeout=60_000)
        folded = int(hub.get_attribute("data-count") or 0)
        assert folded >= CO_TRAVELLERS
        drawn = graph.locator(".node").count()
        assert drawn < 40, drawn
        # One node per entity: the traveller's booking, the flight (leg record and flight key) drawn once each.
        assert repeated_labels(graph.locator(ENTITY_NODES)) == {}
        # VOLKOV's API and PNR records: one node "· 2 records", both listed on his card.
        expect(graph.locator(".node.center")).to_have_attribute("data-records", "2")
        expect(graph.locator(".node.center text")).to_contain_text("· 2 records")
        expect(page.get_by_test_id("members").locator("li")).to_have_count(2)
        expect(graph.locator(".node.watchlisted.on-path")).to_have_count(1)
        path_edges = graph.locator(".edge.on-path").count()
        assert path_edges >= 2
        overlapping, shown = graph.locator(".node text").evaluate_all(OVERLAPPING_LABELS)
        assert overlapping == 0 and shown >= 5
        page.get_by_test_id("entity-card").screenshot(path=tmp_path / "flight-folded.png")

        # Hiding a relation leaves the explanation path drawn.
        filters = page.get_by_test_id("graph-filters")
        for box in filters.locator("input").all():
            box.uncheck()
        assert graph.locator(".edge.on-path").count() == path_edges
        card = httpx.get(f"{base}/api/entities/{opened}", headers={"Authorization": f"Bearer {key}"}).json()
        explained = {edge for p in card["graph"]["paths"] for edge in p["edges"]}
        left = set(graph.locator(".edge").evaluate_all("els => els.map(e => e.dataset.edge)"))
        assert left == explained  # every explanation path stays drawn, nothing else
        for box in filters.locator("input").all():
            box.check()

        graph.locator(".node.hub-group circle").click()
        expect(graph.locator(".node")).to_have_count(drawn - 1 + folded, timeout=60_000)
        overlapping, shown = graph.locator(".node text").evaluate_all(OVERLAPPING_LABELS)
        assert overlapping == 0
        expect(graph.locator(".node.watchlisted.on-path")).to_have_count(1)
        page.get_by_test_id("entity-card").screenshot(path=tmp_path / "flight-expanded.png")
    for name in ("flight-folded.png", "flight-expanded.png"):
        assert png_is_not_blank(tmp_path / name), name
    print(f"screenshots: {tmp_path}")


def busy_consignee_store() -> tuple[MemoryStore, str, str]:
    """The sample with 40 more consignments to the consignee that shares a phone with the listed payer's
    traveller; returns the store, the planted consignment and the consignee."""
    store = sample_store(get_settings())
    planted = next(d for d in store.documents.values() if d.get("transport_document") == "160-12345675")
    more = [Consignment(id=make_id("consignment", "busy", str(n)), source_format="test",
                        transport_document=f"160-{70000000 + n}", transport_mode="air", origin="HKG",
                        destination="NRT", port_of_arrival="NRT", arrival_date=date.today(),
                        consignee_id=planted["consignee_id"], consignee_name=planted["consignee_name"])
            for n in range(MORE_CONSIGNMENTS)]
    store.add_records(more)
    for record in more:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))
    return store, str(planted["id"]), str(planted["consignee_id"])


def test_graph_of_a_consignment_and_of_a_company_at_a_busy_consignee(serve_app: ServeApp, open_page: OpenPage,
                                                                     tmp_path: Path) -> None:
    from playwright.sync_api import expect

    store, consignment, consignee = busy_consignee_store()
    base, key, _ = serve_app(store, get_settings())
    with open_page(base, key) as page:
        graph = page.get_by_test_id("graph")
        for query, entity_id, name in (("160-12345675", consignment, "consignment"),
                                       ("PACIFIC RIM", consignee, "company")):
            page.fill("#search-q", query)
            page.click("#search-form button")
            page.locator(f"#search-results li[data-id='{entity_id}']").click()
            expect(page.locator("#card-title")).to_contain_text(query)
            hub = graph.locator(".node.hub-group")
            expect(hub).to_have_count(1, timeout=60_000)
            # the company's own consignments each come with their air waybill: folded with it
            assert int(hub.get_attribute("data-count") or 0) >= MORE_CONSIGNMENTS, name
            assert "consignment" in (hub.text_content() or ""), name
            drawn = graph.locator(".node").count()
            assert drawn < 30, (name, drawn)
            assert repeated_labels(graph.locator(ENTITY_NODES)) == {}, name
            expect(graph.locator(".node.watchlisted.on-path")).to_have_count(1)
            assert graph.locator(".edge.on-path").count() >= 2, name
            expect(page.get_by_test_id("paths").locator("li").first).to_contain_text("KOREA MINING DEVELOPMENT")
            page.get_by_test_id("entity-card").screenshot(path=tmp_path / f"{name}-folded.png")
            overlapping, shown = graph.locator(".node text").evaluate_all(OVERLAPPING_LABELS)
            assert overlapping == 0 and shown >= 4, name
            hub.locator("circle").click()
            expect(graph.locator(".node.hub-group")).to_have_count(0, timeout=60_000)
            assert graph.locator(".node").count() > drawn + MORE_CONSIGNMENTS - 2, name
            expect(graph.locator(".node.watchlisted.on-path")).to_have_count(1)
            page.get_by_test_id("entity-card").screenshot(path=tmp_path / f"{name}-expanded.png")
    for name in ("consignment-folded", "consignment-expanded", "company-folded", "company-expanded"):
        assert png_is_not_blank(tmp_path / f"{name}.png"), name
    print(f"screenshots: {tmp_path}")
