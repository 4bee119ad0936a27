"""Crawls of the fixture site on the real stack: records on Kafka's raw topic, the frontier in
Elasticsearch, incremental recrawls across runs, and crawled pages indexed by the ingest job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.fixture_site import FixtureServer
from crawlers.frontier import STATUS_TYPE
from crawlers.runner import CrawlReport, run_crawl
from crawlers.settings import evidence_dir
from crawlers.sources import SourceDefinition, load_sources
from crawlers.warc_archive import read_copy
from feeds import MessageContext, parse_message
from schemas.records import CrawledPage
from sekisho import es_io, kafka_io
from sekisho.cli import app
from sekisho.settings import Settings, get_settings

pytestmark = pytest.mark.integration

SOURCES = ("fixture-news", "fixture-market", "fixture-watchlists")


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer.bundled() as running:
        yield running


def _fast(source: SourceDefinition, interval_s: float | None = None) -> SourceDefinition:
    update: dict[str, object] = {"politeness": source.politeness.model_copy(update={"delay_s": 0.0})}
    if interval_s is not None:
        update["recrawl_interval_s"] = interval_s
    return source.model_copy(update=update)


def _crawl_all(server: FixtureServer, settings: Settings, interval_s: float | None = None) -> list[CrawlReport]:
    sources = load_sources(server.url)
    return [run_crawl(_fast(sources[name], interval_s), settings) for name in SOURCES]


def _raw_records(settings: Settings) -> dict[str, tuple[bytes | None, CrawledPage]]:
    found: dict[str, tuple[bytes | None, CrawledPage]] = {}
    for message in kafka_io.consume(settings.topic("raw"), settings=settings, idle_timeout_s=3):
        if message.headers.get("record_type") != "crawled_page":
            continue
        assert message.headers["format"] == "canonical-json"
        (record,) = parse_message(message.value, MessageContext(source=message.headers["source"]))
        assert isinstance(record, CrawledPage)
        found[record.id] = (message.key, record)
    return found


def test_crawl_to_kafka_with_an_elasticsearch_frontier_then_index(
    stack: Settings, server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture_target = server.url.split("//", 1)[1]  # exactly the fixture site's host:port
    settings = stack.model_copy(update={"home": tmp_path, "crawl_allowed_private_targets": [fixture_target]})
    first = _crawl_all(server, settings, interval_s=0.0)
    emitted = sum(r.emitted for r in first)
    assert emitted == 5 + 3 + 10  # articles (3 news + 1 notice), the PDF notice, listings, watchlist files

    records = _raw_records(settings)
    assert len(records) == emitted
    for key, record in records.values():
        assert key == record.id.encode()  # the Kafka key is the deterministic id
    kinds = sorted(record.kind for _, record in records.values())
    assert kinds.count("article") == 4 and kinds.count("notice") == 1
    assert kinds.count("listing") == 3 and kinds.count("watchlist") == 10

    # The frontier lives in Elasticsearch, with validators for conditional requests.
    es_io.refresh(settings)
    statuses = list(es_io.scan(STATUS_TYPE, {"term": {"source_name": "fixture-market"}}, settings))
    assert len(statuses) >= 4 and all(s.get("etag") for s in statuses if s["status"] == "fetched")

    # A recrawl (a new run, state loaded back from Elasticsearch) gets 304s and emits nothing.
    offsets = sum(kafka_io.end_offsets(settings.topic("raw"), settings).values())
    again = _crawl_all(server, settings, interval_s=0.0)
    assert sum(r.emitted for r in again) == 0
    assert sum(r.count("sekisho/not_modified") for r in again) >= emitted
    assert sum(kafka_io.end_offsets(settings.topic("raw"), settings).values()) == offsets

    # The ingest job indexes the crawled pages like any record, under their ids.
    from streams.jobs import ingest_job

    ingest_job.run(settings, enrich=False)
    es_io.refresh(settings)
    indexed = {hit["_id"]: hit for hit in es_io.search("crawled_page", {"match_all": {}}, settings, size=100)}
    assert set(indexed) == set(records)
    listing = next(d for d in indexed.values() if d["canonical_url"].endswith("/market/listing/1001.html"))
    assert listing["price"] == 4200.0 and listing["ship_from"] == "HK" and "+85291234567" in listing["phones"]
    # Every web-derived record in Elasticsearch has its evidence link and its source's grade.
    assert all(
        d["evidence"]["digest"].startswith("sha1:") and d["reliability"] and d["credibility"] for d in indexed.values()
    )
    assert (listing["reliability"], listing["credibility"]) == ("C", 3)
    copy = read_copy(evidence_dir(settings), f"{listing['evidence']['warc_file']}:{listing['evidence']['offset']}")
    assert copy.digest_ok and copy.url == listing["url"]
    # `sekisho evidence show` finds the copy from the record id, through Elasticsearch.
    monkeypatch.setenv("SEKISHO_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        shown = CliRunner().invoke(app, ["evidence", "show", listing["id"]])
    finally:
        get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    assert "(verified)" in shown.output and "No export papers needed" in shown.output
    sdn = next(d for d in indexed.values() if d.get("list_name") == "OFAC SDN")
    assert Path(sdn["raw_location"]).exists() and len(sdn["content_hash"]) == 64
