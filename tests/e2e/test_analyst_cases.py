"""Saved searches and cases on the analyst page, in headless Chromium: an analyst saves a search and
subscribes to it; a traveller who arrives later raises an alert; the analyst opens a case from an alert,
adds a booking from its entity card and its confirmed screening decision, a note and an evidence link, works
under the case as purpose, exports the case as FollowTheMoney entities and as an HTML report (opened and
looked at), and closes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from followthemoney import model

from graph.links import links_of
from schemas.records import Passenger, make_id
from sekisho.settings import get_settings
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store
from tests.e2e.conftest import ENTITY_NODES, OpenPage, ServeApp, png_is_not_blank, repeated_labels

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def arrives(store: MemoryStore, name: str) -> Passenger:
    traveller = Passenger(id=make_id("passenger", "later", name), source_format="test", full_name=name,
                          debarkation="NRT")
    store.add_records([traveller])
    store.graph.add(*links_of(traveller))
    return traveller


def test_saved_search_alerts_then_a_case_is_opened_worked_exported_and_closed(
        serve_app: ServeApp, open_page: OpenPage, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    settings = get_settings()
    store = sample_store(settings)
    base, key, _ = serve_app(store, settings, Role.ANALYST, "Ana Analyst")
    with open_page(base, key) as page:
        # Save the search and subscribe; nothing is new yet.
        page.fill("#search-q", "VOLKOV")
        page.click("#search-form button")
        expect(page.get_by_test_id("search-results")).to_contain_text("DMITRI VOLKOV")
        page.fill("#save-search-name", "Volkov arrivals")
        page.select_option("#save-search-kind", "passenger")
        page.click("#save-search button")
        saved = page.get_by_test_id("saved-searches").locator("li", has_text="Volkov arrivals")
        expect(saved).to_contain_text("“VOLKOV” · passenger")
        expect(saved).to_contain_text("subscribed · 0 alerts so far")

        # A traveller arrives; the subscription raises one alert, once.
        later = arrives(store, "IVAN VOLKOV")
        saved.locator("button", has_text="Run now").click()
        status = page.get_by_test_id("saved-search-status")
        expect(status).to_have_text("Volkov arrivals: 1 new alert · IVAN VOLKOV")
        expect(saved).to_contain_text("1 alert so far")
        page.screenshot(path=tmp_path / "01-saved-search.png", full_page=True)
        saved.locator("button", has_text="Run now").click()
        expect(status).to_have_text("Volkov arrivals: 0 new alerts")

        page.click("nav button[data-view='alerts']")
        alerts = page.get_by_test_id("alert-list")
        expect(alerts).to_contain_text("new match for saved search 'Volkov arrivals': IVAN VOLKOV")

        # A case from the targeting alert on DMITRI VOLKOV, under a legal basis.
        volkov = alerts.locator("li", has=page.locator(".label", has_text="traveller DMITRI VOLKOV"))
        volkov.locator("button[data-action='open-case']").click()
        expect(page.locator("#case-origin")).to_contain_text("New case from alert: DMITRI VOLKOV")
        page.fill("#case-title", "Volkov: cash booking paid by a listed company")
        page.select_option("#case-basis", "eu-pnr-art6-2b")
        page.click("#case-new button")
        detail = page.get_by_test_id("case-detail")
        expect(detail).to_contain_text("owner Ana Analyst · legal basis eu-pnr-art6-2b · opened from alert")
        case_id = (page.locator("#case-heading").inner_text().split(":")[0]).removeprefix("Case ")
        expect(page.get_by_test_id("case-status")).to_contain_text(f"cites case:{case_id} under eu-pnr-art6-2b")

        # The queue's picks and the entity cards open cases too; the booking goes into this one.
        page.click("nav button[data-view='queue']")
        page.get_by_test_id("queue-list").locator("li", has=page.locator(".label", has_text="DMITRI VOLKOV")).first \
            .locator("button[data-action='open-case']").click()
        expect(page.locator("#case-origin")).to_contain_text("New case from queue pick: DMITRI VOLKOV")
        page.click("nav button[data-view='search']")
        page.fill("#search-q", "QX7P2M")
        page.click("#search-form button")
        page.locator("#search-results li[data-id^='booking-']").first.click()
        # The booking record and its locator, the flight's leg record and key, a company's record and name: one
        # node each.
        graph = page.get_by_test_id("graph")
        expect(graph.locator(".node[data-kind='booking']")).to_have_count(1)
        assert repeated_labels(graph.locator(ENTITY_NODES)) == {}
        page.get_by_test_id("entity-card").screenshot(path=tmp_path / "02-booking-card.png")
        card_case = page.get_by_test_id("card-case")
        card_case.locator("button", has_text="Add to case").click()
        expect(card_case).to_contain_text(f"added to {case_id}")
        # The payer hit is confirmed in match review, and the decision goes into the case too.
        screening = page.get_by_test_id("screening")
        expect(screening).to_contain_text("not reviewed", timeout=90_000)  # the first review reads the lists
        screening.locator("button[data-verdict='confirm']").first.click()
        expect(screening).to_contain_text("confirmed by Ana Analyst on", timeout=30_000)
        screening.locator("button[data-action='decision-to-case']").first.click()
        expect(screening).to_contain_text(f"in case {case_id}")

        page.click("nav button[data-view='cases']")
        page.get_by_test_id("case-list").locator(f"li[data-id='{case_id}']").click()
        items = page.get_by_test_id("case-items")
        expect(items.locator("li[data-kind='entity']")).to_have_count(2)  # read again: the booking is in
        page.fill("#case-note", "payer is KOMID, OFAC SDN")
        page.locator("#case-actions button", has_text="Add note").click()
        expect(items).to_contain_text("note by Ana Analyst: payer is KOMID, OFAC SDN")
        page.fill("#case-evidence", "https://fixture.sekisho.test/market/listing/1002.html")
        page.locator("#case-actions button", has_text="Add evidence").click()
        expect(items).to_contain_text("evidence: https://fixture.sekisho.test/market/listing/1002.html")
        expect(items.locator("li[data-kind='decision']")).to_contain_text("screening decision: confirm:")
        expect(items.locator("li[data-kind='alert']")).to_contain_text("alert: critical traveller DMITRI VOLKOV")
        page.locator("#case-actions button", has_text="Work under this case").click()
        items.locator("li[data-kind='entity']").first.click()  # read under the case: the audit says so
        expect(page.locator("#card-title")).to_have_text("DMITRI VOLKOV")
        page.screenshot(path=tmp_path / "03-case.png", full_page=True)

        with page.expect_download() as ftm:
            page.locator("#case-actions button", has_text="Export FtM").click()
        assert ftm.value.suggested_filename == f"case-{case_id}.ftm.jsonl"
        proxies = [model.get_proxy(json.loads(line)) for line in Path(ftm.value.path()).read_text().splitlines()]
        assert {"Project", "Person", "UnknownLink", "Note", "Document"} <= {p.schema.name for p in proxies}
        with page.expect_download() as html:
            page.locator("#case-actions button", has_text="Report").click()
        report = tmp_path / html.value.suggested_filename
        html.value.save_as(report)

        page.locator("#case-actions button", has_text="Close case").click()
        expect(page.locator("#case-meta")).to_contain_text("closed (closed by Ana Analyst)")
        expect(page.locator("#case-actions button", has_text="Reopen")).to_have_count(0)  # administrators only
        expect(page.locator("#case-actions button", has_text="Work under this case")).to_have_count(0)
        expect(page.locator("#purpose-ref")).to_have_value("")  # a closed case is no purpose any more
        page.select_option("#case-state", "closed")
        expect(page.get_by_test_id("case-list")).to_contain_text(case_id)
        page.screenshot(path=tmp_path / "04-case-closed.png", full_page=True)

        # The report stands alone: opened from the file, no server, no script.
        page.goto(report.as_uri())
        expect(page.locator("h1")).to_contain_text(f"Case {case_id}")
        assert page.locator("svg line.edge.on-path").count() >= 2
        assert page.locator("svg circle.node.centre").count() >= 2
        assert repeated_labels(page.locator("svg circle" + ENTITY_NODES.removeprefix(".node"))) == {}
        assert page.locator("svg circle[data-kind='booking']").count() == 1
        assert page.locator("script").count() == 0
        for text in ("DMITRI VOLKOV", "KOREA MINING DEVELOPMENT TRADING CORPORATION", "payer is KOMID, OFAC SDN",
                     "confirm: KOREA MINING DEVELOPMENT TRADING CORPORATION",
                     f"X-Sekisho-Purpose: case:{case_id}"):
            expect(page.locator("body")).to_contain_text(text)
        page.screenshot(path=tmp_path / "05-report.png", full_page=True)
        page.locator("svg").screenshot(path=tmp_path / "06-report-graph.png")

    assert later.id in {a.record_id for a in store.alert_list}
    case = store.case(case_id)
    assert case is not None and case.state == "closed" and len(case.entities) == 2 and len(case.decisions) == 1
    viewed = [e for e in store.audit_log if e.action == "entity.view"]
    assert viewed[-1].params.get("purpose") == f"case:{case_id}"  # requests under the case cite it
    actions = [e.action for e in store.audit_log if e.action.startswith(("case.", "search."))]
    assert actions[:3] == ["search.save", "search.run", "search.run"]
    assert {"case.open", "case.add", "case.note", "case.export", "case.close"} <= set(actions)
    for shot in sorted(tmp_path.glob("*.png")):
        assert png_is_not_blank(shot), shot.name
    print(f"screenshots: {tmp_path}")
