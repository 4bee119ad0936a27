"""The API's evidence and source-grade routes over a real crawl of the fixture site.

The market is crawled into a temporary ``SEKISHO_HOME`` (WARC copies there); the records and their links
go into a ``MemoryStore``, and the API answers from both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from crawlers.fixture_site import FixtureServer
from crawlers.frontier import InMemoryFrontier
from crawlers.runner import run_crawl
from crawlers.sinks import CollectingSink
from crawlers.source_grades import GradeBook, apply_grades, grade_book_path
from crawlers.sources import SourceDefinition, load_sources
from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.record_tagging import tag_record
from graph.analytics import propagate_risk
from graph.links import links_of
from schemas.documents import Alert
from schemas.records import CrawledPage
from sekisho.settings import Settings, get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer.bundled() as running:
        yield running


@pytest.fixture(scope="module")
def settings(server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return get_settings().model_copy(
        update={
            "home": home,
            "crawl_allowed_private_targets": [server.url.split("//", 1)[1]],
            "crawl_fixture_site_url": server.url,
        }
    )


def fast(source: SourceDefinition) -> SourceDefinition:
    politeness = source.politeness.model_copy(update={"delay_s": 0.0, "autothrottle": False})
    return source.model_copy(update={"politeness": politeness, "recrawl_interval_s": 0.0})


def crawl_market(settings: Settings) -> list[CrawledPage]:
    sources = apply_grades(load_sources(settings.crawl_fixture_site_url), GradeBook(grade_book_path(settings.home)))
    sink = CollectingSink()
    run_crawl(fast(sources["fixture-market"]), settings, frontier=InMemoryFrontier(), sink=sink)
    return sink.records


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[tuple[TestClient, MemoryStore, list[CrawledPage], dict[Role, dict[str, str]]]]:
    records = crawl_market(settings)
    store = MemoryStore()
    store.add_records(records)
    for record in records:
        store.graph.add(*links_of(record))
    store.graph.replace_nodes(propagate_risk(store.graph.all()))
    keys = MemoryKeyStore()
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), settings))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}
    yield client, store, records, auth


def test_the_archived_copy_is_served_and_the_view_audited(
    api: tuple[TestClient, MemoryStore, list[CrawledPage], dict[Role, dict[str, str]]],
) -> None:
    client, store, records, auth = api
    listing = next(r for r in records if r.url.endswith("/market/listing/1001.html"))
    assert listing.evidence is not None
    response = client.get(f"/api/evidence/{listing.evidence.id}", headers=auth[Role.ANALYST])
    assert response.status_code == 200, response.text
    copy = response.json()
    assert copy["url"] == listing.url and copy["digest"] == listing.evidence.digest and copy["digest_ok"]
    assert copy["status_line"] == "HTTP/1.1 200 OK"
    assert copy["request_line"] == "GET /market/listing/1001.html HTTP/1.1"
    assert "No export papers needed" in copy["body_text"]
    event = store.audit_log[-1]
    assert (event.action, event.params["evidence_id"]) == ("evidence.view", listing.evidence.id)

    assert client.get("/api/evidence/nothing.warc.gz:0", headers=auth[Role.ANALYST]).status_code == 404
    assert client.get(f"/api/evidence/{listing.evidence.id}", headers=auth[Role.CARRIER]).status_code == 403


def test_the_entity_card_shows_grade_and_evidence_of_web_facts(
    api: tuple[TestClient, MemoryStore, list[CrawledPage], dict[Role, dict[str, str]]],
) -> None:
    client, _, records, auth = api
    listing = next(r for r in records if r.url.endswith("/market/listing/1001.html"))
    card = client.get(f"/api/entities/{listing.id}", headers=auth[Role.ANALYST]).json()
    assert card["document"]["reliability"] == "C" and card["document"]["credibility"] == 3
    assert listing.evidence is not None
    assert card["document"]["evidence"]["offset"] == listing.evidence.offset
    phone = next(e for e in card["graph"]["edges"] if e["relation"] == "has_phone")
    assert (phone["grade"], phone["evidence"], phone["source_record"]) == ("C3", listing.evidence.id, listing.id)


def test_names_found_on_a_page_and_alerts_resting_on_it_carry_its_evidence_and_grade(
    api: tuple[TestClient, MemoryStore, list[CrawledPage], dict[Role, dict[str, str]]],
) -> None:
    client, store, records, auth = api
    listing = next(r for r in records if r.url.endswith("/market/listing/1001.html"))
    link = listing.evidence_link()
    assert link is not None and link.grade == "C3" and listing.evidence is not None
    # NER over the crawled listing (a dictionary recognizer stands in for the model): each name points to
    # the archived copy it was read in.
    recognizer = GazetteerRecognizer({("Japan",): "LOC", ("Korea",): "LOC"})
    tagged = tag_record(listing, recognizer)
    store.add_records([tagged])
    card = client.get(f"/api/entities/{listing.id}", headers=auth[Role.ANALYST]).json()
    mentions = card["document"]["mentions"]
    assert {m["text"] for m in mentions} == {"Japan", "Korea"}
    for mention in mentions:
        assert mention["evidence"] == {
            "evidence": listing.evidence.id,
            "digest": listing.evidence.digest,
            "grade": "C3",
            "source_record": listing.id,
        }
    # The archived copy a mention names is the one the API serves, digest verified.
    copy = client.get(f"/api/evidence/{mentions[0]['evidence']['evidence']}", headers=auth[Role.ANALYST]).json()
    assert copy["digest"] == listing.evidence.digest and copy["digest_ok"]

    # An alert whose graph path runs through the page lists the page's copy and grade.
    alert = Alert(
        id="alert-web-1",
        key="passenger:passenger-9",
        record_id="passenger-9",
        record_type="passenger",
        label="Ivan Petrov",
        score=0.82,
        severity="high",
        title="high traveller Ivan Petrov",
        graph_path=["passenger-9", "phone-1", listing.id],
        evidence=[link],
        created_at=datetime.now(UTC),
    )
    store.alert_list.append(alert)
    served = client.get("/api/alerts", headers=auth[Role.ANALYST]).json()
    shown = next(a for a in served if a["id"] == "alert-web-1")
    assert shown["evidence"] == [link.model_dump()]


def test_analysts_regrade_a_source_and_later_crawls_carry_it(
    api: tuple[TestClient, MemoryStore, list[CrawledPage], dict[Role, dict[str, str]]], settings: Settings
) -> None:
    client, store, _, auth = api
    listed = client.get("/api/sources", headers=auth[Role.ANALYST]).json()
    market = next(s for s in listed if s["name"] == "fixture-market")
    assert (market["grade"], market["configured_grade"]) == ("C3", "C3")
    assert market["meaning"] == "C3: fairly reliable, possibly true"

    body = {"reliability": "E", "credibility": 5, "reason": "sellers post fabricated listings"}
    assert client.put("/api/sources/fixture-market/grade", json=body, headers=auth[Role.CARRIER]).status_code == 403
    assert client.put("/api/sources/nowhere/grade", json=body, headers=auth[Role.ANALYST]).status_code == 404
    bad = {"reliability": "G", "credibility": 9, "reason": "off the scale"}
    assert client.put("/api/sources/fixture-market/grade", json=bad, headers=auth[Role.ANALYST]).status_code == 422
    response = client.put("/api/sources/fixture-market/grade", json=body, headers=auth[Role.ANALYST])
    assert response.status_code == 200, response.text
    regraded = response.json()
    assert regraded["grade"] == "E5" and regraded["configured_grade"] == "C3"
    (change,) = regraded["history"]
    assert (change["previous"], change["by"], change["reason"]) == ("C3", "analyst-user", body["reason"])
    event = store.audit_log[-1]
    assert event.action == "source.regrade" and event.params == {
        "source": "fixture-market",
        "grade": "E5",
        "previous": "C3",
        "reason": body["reason"],
    }
    # The next crawl applies the grade book: its records carry the new grade.
    assert {r.grade for r in crawl_market(settings)} == {"E5"}
