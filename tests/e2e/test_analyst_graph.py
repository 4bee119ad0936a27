"""The graph view of a traveller on a full flight (160 co-travellers) in headless Chromium: the flight's
co-travellers fold into one node with a count that expands on click, relation checkboxes hide edge types
(never the explanation path), labels do not overlap, and the path to the listed payer stays highlighted."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graph.analytics import propagate_risk
from graph.links import links_of
from schemas.records import Passenger, make_id
from sekisho.settings import get_settings
from targeting.api.memory_store import MemoryStore
from targeting.api.sample_data import sample_store
from tests.e2e.test_analyst_page import CHROMIUM, CHROMIUM_ARGS, app_with_key, png_is_not_blank, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]
CO_TRAVELLERS = 160
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
    store = sample_store(get_settings())
    volkov = next(d for d in store.documents.values() if d.get("full_name") == "DMITRI VOLKOV")
    leg = volkov["flight_leg_ids"][0]
    others = [Passenger(id=make_id("passenger", "co", str(n)), source_format="test", full_name=f"TRAVELLER {n:03d}",
                        flight_leg_ids=[leg], debarkation="NRT") for n in range(CO_TRAVELLERS)]
    store.add_records(others)
    for record in others:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))
    return store, str(volkov["id"])


def test_graph_of_a_traveller_on_a_full_flight(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    store, volkov = full_flight_store()
    app, key = app_with_key(store, get_settings())
    errors: list[str] = []
    for base in serve(app):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(base + "/")
                page.fill("#api-key", key)
                page.click("#login-form button")
                page.fill("#search-q", "VOLKOV")
                page.click("#search-form button")
                page.locator(f"#search-results li[data-id='{volkov}']").click()
                graph = page.get_by_test_id("graph")
                hub = graph.locator(".node.hub-group")
                expect(hub).to_have_count(1, timeout=60_000)
                folded = int(hub.get_attribute("data-count") or 0)
                assert folded >= CO_TRAVELLERS
                drawn = graph.locator(".node").count()
                assert drawn < 40, drawn
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
                card = httpx.get(f"{base}/api/entities/{volkov}", headers={"Authorization": f"Bearer {key}"}).json()
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
            finally:
                browser.close()
    assert errors == [], errors
    for name in ("flight-folded.png", "flight-expanded.png"):
        assert png_is_not_blank(tmp_path / name), name
    print(f"screenshots: {tmp_path}")
