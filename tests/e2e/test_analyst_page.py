"""The analyst page end to end in headless Chromium: log in, search a planted name, open its graph, see
the path to the watchlisted node, work the queue, record an inspection result, read the alerts.

Runs on the bundled sample (no stack) and, marked ``integration``, on the Elasticsearch-backed app
with the planted records written to the test namespace. Screenshots go to a temporary directory and
are checked: PNG, not blank, taken while the expected text was in the DOM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sekisho.settings import Settings, get_settings
from targeting.api.roles import Role
from targeting.api.sample_data import index_planted, sample_store
from targeting.api.store import Store
from tests.e2e.conftest import OpenPage, ServeApp, png_is_not_blank

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def walk_the_page(open_page: OpenPage, base: str, key: str, shots: Path) -> dict[str, str]:
    """Drive the page through the analyst's and officer's flow; returns texts seen, by step."""
    from playwright.sync_api import Locator, expect

    seen: dict[str, str] = {}
    # A rejected login (401) is the one console error expected.
    with open_page(base, None, allowed_console=("401",)) as page:
        expect(page.get_by_test_id("login")).to_be_visible()
        page.screenshot(path=shots / "01-login.png")

        page.fill("#api-key", "sk_wrong_key")
        page.click("#login-form button")
        expect(page.locator("#login-error")).to_contain_text("not accepted")

        page.fill("#api-key", key)
        page.click("#login-form button")
        expect(page.get_by_test_id("whoami")).to_have_text("Officer Sato · admin")

        page.fill("#search-q", "VOLKOV")
        page.click("#search-form button")
        hit = page.locator("#search-results li[data-id^='passenger-']")
        expect(hit.first).to_contain_text("DMITRI VOLKOV")
        page.screenshot(path=shots / "02-search.png")
        hit.first.click()

        card = page.get_by_test_id("entity-card")
        expect(card.locator("#card-title")).to_have_text("DMITRI VOLKOV")
        paths = page.get_by_test_id("paths")
        expect(paths.locator("li").first).to_contain_text("OFAC SDN")
        # The records of the traveller's entity are one click away (one feed here: one record).
        expect(page.get_by_test_id("members").locator("li").first).to_contain_text("passenger passenger-")
        graph = page.get_by_test_id("graph")
        expect(graph.locator(".node.watchlisted.on-path")).to_have_count(1)
        assert graph.locator(".edge.on-path").count() >= 2
        assert graph.locator(".node").count() >= 5
        seen["path"] = paths.locator("li").first.inner_text()
        seen["graph"] = graph.text_content() or ""
        page.screenshot(path=shots / "03-graph.png", full_page=True)

        # Another explanation path is highlighted on click; a node opens its own card on click.
        first_edges = sorted(graph.locator(".edge.on-path").evaluate_all("els => els.map(e => e.dataset.edge)"))
        paths.locator("li").nth(1).click()
        expect(paths.locator("li").nth(1)).to_have_class("selected")
        second_edges = sorted(graph.locator(".edge.on-path").evaluate_all("els => els.map(e => e.dataset.edge)"))
        assert second_edges and second_edges != first_edges
        graph.locator(".node.watchlisted.on-path circle").click()
        expect(card.locator("#card-title")).to_contain_text("KOREA MINING DEVELOPMENT TRADING CORPORATION")
        expect(card.locator("#card-meta")).to_contain_text("WATCHLISTED")

        # Match review: the booking's payer hit is cleared as a false positive, and says by whom.
        page.fill("#search-q", "QX7P2M")
        page.click("#search-form button")
        page.locator("#search-results li[data-id^='booking-']").first.click()
        screening = page.get_by_test_id("screening")
        # the first review reads the lists' entries (their fingerprints date each decision)
        expect(screening).to_contain_text("not reviewed", timeout=90_000)
        screening.locator("button[data-verdict='false_positive']").first.click()
        expect(screening).to_contain_text("cleared by Officer Sato on", timeout=30_000)
        seen["match_review"] = screening.inner_text()
        page.screenshot(path=shots / "03b-match-review.png", full_page=True)

        page.click("nav button[data-view='queue']")
        expect(page.locator("#queue-port")).to_have_value("NRT")  # the port with the most pending work
        queue = page.get_by_test_id("queue-list")
        expect(queue.locator("li.lane").first).to_contain_text("unused")
        expect(queue).to_contain_text("DMITRI VOLKOV")
        expect(queue).to_contain_text("160-12345675")
        seen["queue"] = queue.inner_text()
        page.screenshot(path=shots / "04-queue.png", full_page=True)

        queue.locator("li", has_text="160-12345675").first.click()
        expect(card.locator("#card-title")).to_contain_text("160-12345675")
        page.locator("#inspection summary").click()
        page.select_option("#inspection-outcome", "seizure")
        page.fill("#inspection-notes", "12 CNC spindles, no export licence")
        page.click("#inspection-form button")
        status = page.get_by_test_id("inspection-status")
        expect(status).to_contain_text("Saved: seizure by Officer Sato")
        seen["inspection"] = status.inner_text()
        page.screenshot(path=shots / "05-inspection.png", full_page=True)

        page.click("nav button[data-view='alerts']")
        alerts = page.get_by_test_id("alert-list")
        expect(alerts).to_contain_text("DMITRI VOLKOV")
        seen["alerts"] = alerts.inner_text()
        page.screenshot(path=shots / "06-alerts.png", full_page=True)

        # Triage: acknowledge, then close with a disposition; the counts follow.
        def volkov() -> Locator:
            return alerts.locator("li", has=page.locator(".label", has_text="traveller DMITRI VOLKOV"))

        volkov().locator("button[data-action='acknowledge']").click()
        expect(volkov()).to_contain_text("acknowledged")
        volkov().locator("select").select_option("false_positive")
        volkov().locator("button[data-action='close']").click()
        expect(volkov()).to_contain_text("closed · false positive")
        expect(page.get_by_test_id("alert-counts")).to_contain_text("1 closed")
        seen["triage"] = page.get_by_test_id("alert-counts").inner_text()
        page.screenshot(path=shots / "07-triage.png", full_page=True)
    return seen


def check(seen: dict[str, str], shots: Path) -> None:
    assert "shares" in seen["path"] or "travels on" in seen["path"]
    assert "KOREA MINING DEVELOPMENT TRADING CORPORATION" in seen["path"]
    assert "DMITRI VOLKOV" in seen["graph"]
    assert "Saved: seizure" in seen["inspection"]
    names = sorted(p.name for p in shots.glob("*.png"))
    assert names == [
        "01-login.png",
        "02-search.png",
        "03-graph.png",
        "03b-match-review.png",
        "04-queue.png",
        "05-inspection.png",
        "06-alerts.png",
        "07-triage.png",
    ]
    for name in names:
        shot = shots / name
        assert shot.stat().st_size > 10_000, name
        assert png_is_not_blank(shot), name


def test_analyst_page_on_the_sample(serve_app: ServeApp, open_page: OpenPage, tmp_path: Path) -> None:
    settings = get_settings()
    store = sample_store(settings)
    base, key, _ = serve_app(store, settings)
    seen = walk_the_page(open_page, base, key, tmp_path)
    check(seen, tmp_path)
    assert [r.outcome for r in store.inspection_results] == ["seizure"]
    print(f"screenshots: {tmp_path}")


@pytest.fixture
def es_backed(stack: Settings) -> Store:
    """The planted records written to the test namespace, linked and risk-propagated in the graph indices."""
    from targeting.api.es_store import EsStore

    index_planted(stack)
    return EsStore(stack)


@pytest.mark.integration
def test_analyst_page_on_elasticsearch(es_backed: Store, stack: Settings, serve_app: ServeApp,
                                       open_page: OpenPage, tmp_path: Path) -> None:
    from sekisho import es_io

    base, key, _ = serve_app(es_backed, stack.model_copy(update={"feedback_dir": tmp_path / "feedback"}))
    shots = tmp_path / "shots"
    shots.mkdir()
    seen = walk_the_page(open_page, base, key, shots)
    check(seen, shots)
    es_io.refresh(stack)
    audit = es_io.search("api_audit", {"match_all": {}}, stack, size=100)
    assert {"search", "entity.view", "queue.view", "inspection.record"} <= {a["action"] for a in audit}
    results = es_io.search("inspection_result", {"term": {"officer": "Officer Sato"}}, stack, size=10)
    assert [(r["outcome"], r["notes"]) for r in results] == [("seizure", "12 CNC spindles, no export licence")]
    print(f"screenshots: {shots}")


def test_enforcement_names_a_purpose_to_see_pnr_data(serve_app: ServeApp, open_page: OpenPage,
                                                     tmp_path: Path) -> None:
    """An officer's queue shows PNR travellers masked until a case and legal basis are given on the page."""
    from playwright.sync_api import expect

    from targeting.api.purpose import MASK

    settings = get_settings()
    store = sample_store(settings)
    for doc in store.documents.values():  # the planted bookings and travellers, as PNR data
        if doc.get("record_type") in ("booking", "passenger"):
            doc["source_format"] = "pnrgov"
    base, key, _ = serve_app(store, settings, Role.ENFORCEMENT, "Officer Ito")
    with open_page(base, key) as page:
        expect(page.get_by_test_id("purpose")).to_be_visible()
        page.click("nav button[data-view='queue']")
        page.select_option("#queue-port", "NRT")
        page.click("#queue-form button")
        queue = page.get_by_test_id("queue-list")
        expect(queue).to_contain_text(MASK)
        assert "VOLKOV" not in queue.inner_text()
        page.fill("#purpose-ref", "case:2026-0042")
        page.select_option("#purpose-basis", "eu-pnr-art6-2b")
        page.click("#queue-form button")
        expect(queue).to_contain_text("DMITRI VOLKOV")
        page.screenshot(path=tmp_path / "purpose-queue.png", full_page=True)
    assert store.audit_log[-1].params["purpose"] == "case:2026-0042"
