"""Crawls of a real local HTTP server (the fixture site) through the whole Scrapy stack.

Records are collected by an in-process sink and URL statuses by the in-memory frontier; the same crawls
against Kafka and Elasticsearch are in tests/integration/test_crawl_stack.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlers.canonical import canonical_url
from crawlers.fixture_site import FixtureServer
from crawlers.frontier import InMemoryFrontier
from crawlers.runner import CrawlReport, run_crawl
from crawlers.sinks import CollectingSink
from crawlers.sources import SourceDefinition, load_sources, source_from_mapping
from schemas.documents import UrlStatus
from sekisho.list_store import latest_list_files
from sekisho.settings import Settings, get_settings

HANG_S = 3.0
TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer.bundled(slow_s=0.3, hang_s=HANG_S, huge_bytes=3 * 1024 * 1024) as running:
        yield running


@pytest.fixture()
def settings(tmp_path: Path, server: FixtureServer) -> Settings:
    # exactly the fixture site's address and port: a link or redirect to another loopback port is refused
    return get_settings().model_copy(update={"home": tmp_path,
                                             "crawl_allowed_private_targets": [server.url.split("//", 1)[1]]})


def edge_source(server: FixtureServer) -> SourceDefinition:
    return source_from_mapping(
        {
            "name": "edge",
            "kind": "article",
            "start_urls": ["{fixture_site}/edge/", "{fixture_site}/private/secret.html"],
            "allowed_domains": ["127.0.0.1", "10.0.0.5", "169.254.169.254", "192.168.1.1"],
            "follow": [{"allow": ["/edge/.+", "/private/"], "parse": True}],
            "recrawl_interval": 0,
            "max_bytes": 1024 * 1024,
            "download_timeout": TIMEOUT_S,
            "budget": 100,
            "politeness": {"delay_s": 0, "concurrency_per_domain": 16, "autothrottle": False},
        },
        server.url,
    )


def crawl(
    source: SourceDefinition, settings: Settings, frontier: InMemoryFrontier, sink: CollectingSink
) -> CrawlReport:
    return run_crawl(source, settings, frontier=frontier, sink=sink)


def by_path(frontier: InMemoryFrontier, server: FixtureServer) -> dict[str, UrlStatus]:
    return {s.url.removeprefix(server.url): s for s in frontier.all()}


def test_edge_cases_first_crawl_recrawl_and_change(server: FixtureServer, settings: Settings) -> None:
    source = edge_source(server)
    frontier, sink = InMemoryFrontier(), CollectingSink()
    report = crawl(source, settings, frontier, sink)
    emitted = {r.canonical_url.removeprefix(server.url): r for r in sink.records}
    statuses = by_path(frontier, server)

    # Robots.txt: the disallowed page is never requested, even as a start URL.
    assert server.hits.get("/private/secret.html", 0) == 0
    assert report.count("robotstxt/forbidden") >= 1
    # A redirect lands on its target, which is emitted under the target's URL.
    assert "/edge/target.html" in emitted
    # The redirect loop ends at REDIRECT_MAX_TIMES (5) without a record.
    assert server.hits["/edge/loop-a.html"] + server.hits["/edge/loop-b.html"] <= 6
    assert "/edge/loop-a.html" not in emitted and "/edge/loop-b.html" not in emitted
    # 404 and 500 (after one retry) become error statuses, not records.
    assert statuses["/edge/missing.html"].status == "error" and statuses["/edge/missing.html"].http_status == 404
    assert statuses["/edge/error.html"].http_status == 500
    assert 1 <= server.hits["/edge/error.html"] <= 2  # RETRY_TIMES = 1 (a dropped keep-alive also counts)
    # The slow page arrives within the timeout; the hanging one times out.
    assert "/edge/slow.html" in emitted
    assert "/edge/hang.html" not in emitted and statuses["/edge/hang.html"].status == "error"
    # The huge page is cut off at DOWNLOAD_MAXSIZE.
    assert "/edge/huge.html" not in emitted and statuses["/edge/huge.html"].status == "error"
    # The same content under two URLs is emitted once.
    assert ("/edge/dup-a.html" in emitted) != ("/edge/dup-b.html" in emitted)
    assert report.count("sekisho/duplicate") == 1
    # Malformed and non-UTF-8 pages are decoded and extracted.
    assert "still readable text" in (emitted["/edge/malformed.html"].text or "")
    assert emitted["/edge/latin1.html"].title == "Saisie à l'aéroport"
    assert emitted["/edge/latin1.html"].language == "fr"
    assert "税関" in (emitted["/edge/shiftjis.html"].title or "") and emitted["/edge/shiftjis.html"].language == "ja"
    # Binary content is refused by content type.
    assert "/edge/image.png" not in emitted and report.count("sekisho/content_type_rejected") == 1
    # Links and redirects to private addresses are refused and never contacted.
    refused = {s.url for s in frontier.all() if s.status == "refused"}
    assert {
        canonical_url("http://10.0.0.5/edge/internal.html"),
        canonical_url("http://169.254.169.254/edge/latest/meta-data/"),
        canonical_url("http://192.168.1.1/edge/router.html"),
        canonical_url("http://10.0.0.5/edge/admin.html"),
    } <= refused
    assert report.count("sekisho/refused/target.private") >= 4
    # Every record has the deterministic id of its canonical URL and was counted.
    assert report.emitted == len(sink.records) == len(emitted)
    first_count = len(sink.records)

    # Recrawl: everything is due (interval 0); conditional requests get 304s and nothing is re-emitted.
    hits_before = dict(server.hits)
    again = crawl(source, settings, frontier, sink)
    assert len(sink.records) == first_count
    assert again.count("sekisho/not_modified") >= first_count
    assert again.emitted == 0
    assert server.hits.get("/private/secret.html", 0) == 0
    assert server.hits["/edge/malformed.html"] == hits_before["/edge/malformed.html"] + 1

    # A page that changes is re-emitted, alone, with the same id.
    server.site.set_html(
        "/edge/target.html",
        "<html><body><article><h1>Redirect target</h1>"
        "<p>Updated: the story changed after publication, with new facts.</p></article></body></html>",
    )
    third = crawl(source, settings, frontier, sink)
    changed = sink.records[first_count:]
    assert [r.canonical_url for r in changed] == [server.url + "/edge/target.html"]
    assert changed[0].id == emitted["/edge/target.html"].id
    assert third.count("sekisho/changed") == 1


def test_budget_caps_the_number_of_fetches(server: FixtureServer, settings: Settings) -> None:
    source = edge_source(server).model_copy(update={"budget": 5})
    sink = CollectingSink()
    report = crawl(source, settings, InMemoryFrontier(), sink)
    assert report.count("sekisho/budget_exhausted") > 0
    assert report.pages - 1 <= 5  # robots.txt is not charged to the budget


def test_bundled_sources_end_to_end(server: FixtureServer, settings: Settings) -> None:
    sources = load_sources(server.url)
    frontier, sink = InMemoryFrontier(), CollectingSink()
    for name in ("fixture-news", "fixture-market", "fixture-watchlists"):
        fast = sources[name].model_copy(
            update={"politeness": sources[name].politeness.model_copy(update={"delay_s": 0.0, "autothrottle": False})}
        )
        report = crawl(fast, settings, frontier, sink)
        assert report.emitted > 0, report.summary()
    kinds = {r.kind for r in sink.records}
    assert kinds == {"article", "listing", "notice", "watchlist"}
    ids = [r.id for r in sink.records]
    assert len(ids) == len(set(ids))
    # Every record points to its evidence copy and carries its source's grade (from the YAML).
    assert all(r.evidence is not None for r in sink.records)
    grades = {r.source_name: r.grade for r in sink.records}
    assert grades == {"fixture-news": "B2", "fixture-market": "C3", "fixture-watchlists": "A1"}

    listing = next(r for r in sink.records if r.canonical_url.endswith("/market/listing/1001.html"))
    assert (listing.price, listing.price_currency, listing.ship_from) == (4200.0, "USD", "HK")
    assert "+85291234567" in listing.phones
    notice = next(r for r in sink.records if "/notices/2026/" in r.canonical_url and r.kind == "article")
    assert "KOREA MINING DEVELOPMENT TRADING CORPORATION" in (notice.text or "")

    lists = {r.list_name: r for r in sink.records if r.kind == "watchlist"}
    assert {"OFAC SDN", "OFAC SDN aliases", "OFAC Consolidated", "UN Consolidated", "US CSL", "BIS DPL"} <= set(lists)
    assert len(lists) == 10
    sdn = lists["OFAC SDN"]
    data = get_settings().data_dir / "watchlists" / "sdn.csv"
    assert sdn.content_hash == hashlib.sha256(data.read_bytes()).hexdigest()
    assert sdn.raw_location is not None and Path(sdn.raw_location).read_bytes() == data.read_bytes()
    stored = latest_list_files(settings.home / "crawl" / "watchlists")
    assert stored["OFAC SDN"].content_hash == sdn.content_hash

    # Refetching the lists: unchanged content is not re-emitted, so the watchlist index is not rebuilt.
    before = len(sink.records)
    watchlists = sources["fixture-watchlists"].model_copy(update={"recrawl_interval_s": 0.0})
    report = crawl(watchlists, settings, frontier, sink)
    assert len(sink.records) == before
    assert report.count("sekisho/not_modified") == 10


def test_pages_not_yet_due_are_not_refetched(server: FixtureServer, settings: Settings) -> None:
    market = load_sources(server.url)["fixture-market"]  # recrawl interval 6h
    market = market.model_copy(update={"politeness": market.politeness.model_copy(update={"delay_s": 0.0})})
    frontier, sink = InMemoryFrontier(), CollectingSink()
    first = crawl(market, settings, frontier, sink)
    assert first.emitted == 3
    listing_hits = server.hits["/market/listing/1001.html"]
    hub_hits = server.hits["/market/"]
    second = crawl(market, settings, frontier, sink)
    # Entry points (the hub and the JSON API) are always asked, conditionally (304); the listings they link
    # to are not due yet.
    assert server.hits["/market/"] == hub_hits + 1
    assert server.hits["/market/listing/1001.html"] == listing_hits
    assert second.emitted == 0 and second.count("sekisho/not_modified") == 2


def test_sitemap_discovery(server: FixtureServer, settings: Settings) -> None:
    source = source_from_mapping(
        {
            "name": "by-sitemap",
            "kind": "listing",
            "sitemap_urls": ["{fixture_site}/sitemap.xml"],
            "follow": [{"allow": [r"/market/listing/\d+\.html$"], "parse": True}],
            "politeness": {"delay_s": 0, "autothrottle": False},
        },
        server.url,
    )
    sink = CollectingSink()
    report = crawl(source, settings, InMemoryFrontier(), sink)
    assert sorted(r.canonical_url.removeprefix(server.url) for r in sink.records) == [
        "/market/listing/1001.html",
        "/market/listing/1002.html",
        "/market/listing/1003.html",
    ]
    assert report.emitted == 3
