"""Web findings on the analyst page, in headless Chromium: a marketplace listing crawled twice from the real
fixture site (its price and seller changed in between) shows its source grade, what changed, and opens both
archived copies (WARC) with their digests verified; a name found on the page and an alert resting on it
open the archived copy too; the source is then regraded from the Sources view.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.fixture_site import FixtureServer
from crawlers.frontier import InMemoryFrontier
from crawlers.runner import run_crawl
from crawlers.sinks import CollectingSink
from crawlers.sources import load_sources
from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.record_tagging import tag_record
from graph.analytics import propagate_risk
from graph.links import links_of
from schemas.documents import Alert
from schemas.records import CrawledPage
from sekisho.settings import Settings, get_settings
from targeting.api.memory_store import MemoryStore
from tests.e2e.conftest import OpenPage, ServeApp

LISTING = "/market/listing/1002.html"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def crawled_twice(settings: Settings) -> list[CrawledPage]:
    """The market crawled, one listing changed on the site, crawled again: the records as indexed last."""
    with FixtureServer.bundled() as server:
        settings = settings.model_copy(update={"crawl_allowed_private_targets": [server.url.split("//", 1)[1]]})
        source = load_sources(server.url)["fixture-market"]
        source = source.model_copy(
            update={
                "recrawl_interval_s": 0.0,
                "politeness": source.politeness.model_copy(update={"delay_s": 0.0, "autothrottle": False}),
            }
        )
        frontier, first, second = InMemoryFrontier(), CollectingSink(), CollectingSink()
        run_crawl(source, settings, frontier=frontier, sink=first)
        page = server.site.get(LISTING)
        assert page is not None
        changed = page.body.decode().replace("1,250.00", "990.00").replace("TimeKeepers Wholesale", "TK Trading")
        server.site.set_html(LISTING, changed)
        run_crawl(source, settings, frontier=frontier, sink=second)
    latest = {r.id: r for r in [*first.records, *second.records]}
    return list(latest.values())


@pytest.fixture()
def base(tmp_path: Path, serve_app: ServeApp) -> tuple[str, str]:
    settings = get_settings().model_copy(update={"home": tmp_path})
    store = MemoryStore()
    # NER over the crawled pages (a dictionary recognizer stands in for the model): names found on a page
    # point to its archived copy.
    records = [tag_record(r, GazetteerRecognizer({("Replica",): "MISC"})) for r in crawled_twice(settings)]
    store.add_records(records)
    listing = next(r for r in records if r.url.endswith(LISTING))
    link = listing.evidence_link()
    assert link is not None
    # An alert on a traveller whose graph path runs through the listing: it carries the listing's copy.
    store.alert_list.append(
        Alert(
            id="alert-web",
            key="passenger:passenger-web",
            record_id="passenger-web",
            record_type="passenger",
            label="Ivan Petrov",
            score=0.81,
            severity="high",
            title="high traveller Ivan Petrov",
            graph_path=["passenger-web", listing.id],
            evidence=[link],
            created_at=datetime.now(UTC),
        )
    )
    for record in records:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))
    url, key, _ = serve_app(store, settings)
    return url, key


def test_web_findings_show_grade_changes_and_both_archived_copies(base: tuple[str, str], open_page: OpenPage,
                                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    url, key = base
    with open_page(url, key) as page:
        page.fill("#search-q", "replica watches")
        page.click("#search-form button")
        hit = page.locator("#search-results li[data-id^='crawled_page-']")
        expect(hit.first).to_contain_text("Replica luxury watches")
        hit.first.click()

        facts = page.get_by_test_id("web-facts")
        expect(facts).to_be_visible()
        this_page = facts.locator("li").first
        expect(this_page).to_contain_text("this page (fixture-market)")
        expect(this_page.locator(".grade")).to_have_text("C3")
        expect(this_page).to_contain_text("price: 1250.0 → 990.0")
        expect(this_page).to_contain_text("seller: TimeKeepers Wholesale → TK Trading")
        # Facts the page asserts in the graph (the seller, the phone...) carry the same grade and copy.
        expect(facts.locator("li", has_text="mentioned in").first.locator(".grade")).to_have_text("C3")
        # A name found on the page (NER) carries the page's grade and opens the copy it was read in.
        mention = facts.locator("li.mention", has_text="“Replica” (MISC) found in title")
        expect(mention.locator(".grade")).to_have_text("C3")

        copy = page.get_by_test_id("evidence-copy")
        this_page.get_by_text("archived copy").click()
        expect(copy).to_contain_text("(verified)")
        expect(copy).to_contain_text(f"> GET {LISTING} HTTP/1.1")
        expect(copy).to_contain_text("990.00")
        page.screenshot(path=tmp_path / "evidence.png")
        this_page.get_by_text("previous copy").click()
        expect(copy).to_contain_text("1,250.00")
        expect(copy).to_contain_text("TimeKeepers Wholesale")
        mention.get_by_text("archived copy").click()
        expect(copy).to_contain_text("990.00")  # the name was read in the latest copy
        expect(copy).to_contain_text("(verified)")

        # The alert resting on the listing shows its grade and opens the archived copy on the page's card.
        page.click("nav button[data-view='alerts']")
        finding = page.get_by_test_id("alert-list").locator(".web-evidence")
        expect(finding.locator(".grade")).to_have_text("C3")
        finding.get_by_text("archived copy").click()
        expect(page.locator("#card-title")).to_contain_text("Replica luxury watches")
        expect(copy).to_be_visible()
        expect(copy).to_contain_text("990.00")

        # Sources: grades in force, regrading with a reason.
        page.click("nav button[data-view='sources']")
        market = page.locator("#source-list li[data-source='fixture-market']")
        expect(market.locator(".grade")).to_have_text("C3")
        page.select_option("#regrade-source", "fixture-market")
        page.select_option("#regrade-reliability", "E")
        page.select_option("#regrade-credibility", "5")
        page.fill("#regrade-reason", "sellers post fabricated listings")
        page.click("#regrade-form button")
        expect(page.get_by_test_id("regrade-status")).to_have_text(
            "fixture-market is now E5: unreliable, improbable"
        )
        expect(market.locator(".grade")).to_have_text("E5")
        expect(market).to_contain_text("C3 → E5 by Officer Sato: sellers post fabricated listings")
