"""Evidence copies, change history and the new kinds of source, crawled from the real local fixture site.

Each crawl runs through the whole Scrapy stack into a collecting sink and the in-memory frontier; the WARC
files are real (warcio) and are read back the way ``sekisho evidence show`` and the API read them.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawlers.canonical import canonical_url
from crawlers.emitter import Emission, RecordEmitter, field_changes
from crawlers.extractors import FetchedPage
from crawlers.fixture_site import FixtureServer
from crawlers.fixture_site.site import PDF_NOTICE
from crawlers.frontier import InMemoryFrontier
from crawlers.runner import CrawlReport, run_crawl
from crawlers.settings import evidence_dir
from crawlers.sinks import CollectingSink
from crawlers.sources import SourceDefinition, load_sources, source_from_mapping
from crawlers.warc_archive import EvidenceError, WarcArchive, history, index_entries, prune, read_copy
from schemas.records import CrawledPage
from sekisho.cli import app
from sekisho.settings import Settings, get_settings

LISTING = "/market/listing/1002.html"


@pytest.fixture()
def server() -> Iterator[FixtureServer]:
    # One server per test: some tests change pages.
    with FixtureServer.bundled() as running:
        yield running


@pytest.fixture()
def settings(tmp_path: Path, server: FixtureServer) -> Settings:
    allowed = [server.url.split("//", 1)[1]]
    return get_settings().model_copy(update={"home": tmp_path, "crawl_allowed_private_targets": allowed})


def fast(source: SourceDefinition) -> SourceDefinition:
    politeness = source.politeness.model_copy(update={"delay_s": 0.0, "autothrottle": False})
    return source.model_copy(update={"politeness": politeness, "recrawl_interval_s": 0.0})


def crawl(
    source: SourceDefinition, settings: Settings, frontier: InMemoryFrontier, sink: CollectingSink
) -> CrawlReport:
    return run_crawl(source, settings, frontier=frontier, sink=sink)


def market(server: FixtureServer) -> SourceDefinition:
    return fast(load_sources(server.url)["fixture-market"])


def test_every_fetched_page_is_archived_with_its_exchange(server: FixtureServer, settings: Settings) -> None:
    sink = CollectingSink()
    report = crawl(market(server), settings, InMemoryFrontier(), sink)
    assert report.emitted == 3
    # Three listings, the hub page and the JSON API listing them: robots.txt aside, every fetch is kept.
    assert report.count("sekisho/evidence/archived") == 5
    assert report.count("sekisho/evidence/archive_failed") == 0
    directory = evidence_dir(settings)
    for record in sink.records:
        assert record.evidence is not None
        copy = read_copy(directory, record.evidence.id)
        path = record.canonical_url.removeprefix(server.url)
        page = server.site.get(path)
        assert page is not None
        assert copy.body == page.body  # the page as it was served, byte for byte
        assert copy.digest_ok and copy.evidence.digest == record.evidence.digest
        assert copy.url == record.url and copy.evidence.fetched_at == record.fetched_at
        assert copy.status_line == "HTTP/1.1 200 OK"
        assert copy.header("ETag") == page.etag
        assert copy.request_line == f"GET {path} HTTP/1.1"
        assert dict(copy.request_headers)["User-Agent"] == settings.crawl_user_agent
    # The files are plain WARC: any WARC reader sees a response and its request per page.
    types = []
    for warc in sorted(directory.glob("*.warc.gz")):
        with warc.open("rb") as stream:
            types += [record.rec_type for record in ArchiveIterator(stream)]
    assert types.count("response") == 5 and types.count("request") == 5 and types.count("warcinfo") == 1


def test_a_changed_page_keeps_both_copies_and_says_what_changed(server: FixtureServer, settings: Settings) -> None:
    frontier, first = InMemoryFrontier(), CollectingSink()
    crawl(market(server), settings, frontier, first)
    before = next(r for r in first.records if r.canonical_url.endswith(LISTING))

    page = server.site.get(LISTING)
    assert page is not None
    html = page.body.decode()
    changed = html.replace("1,250.00", "990.00").replace("TimeKeepers Wholesale", "TK Trading Ltd")
    changed = changed.replace("sales@timekeepers-example.cn", "+86 138 0013 8000 or orders@tk-example.cn")
    server.site.set_html(LISTING, changed)

    second = CollectingSink()
    report = crawl(market(server), settings, frontier, second)
    assert report.count("sekisho/changed") == 1 and report.count("sekisho/evidence/diffed") == 1
    (after,) = second.records
    assert after.id == before.id  # the same record, updated
    assert after.previous_evidence == before.evidence and after.evidence != before.evidence
    changes = {c.field: (c.before, c.after) for c in after.changes}
    assert changes["price"] == ("1250.0", "990.0")
    assert changes["seller"] == ("TimeKeepers Wholesale", "TK Trading Ltd")
    assert changes["phones"] == (None, "+8613800138000")
    assert changes["emails"] == ("sales@timekeepers-example.cn", "orders@tk-example.cn")
    assert "title" not in changes
    # Both versions stay readable as they were served.
    directory = evidence_dir(settings)
    assert before.evidence is not None and after.evidence is not None
    assert b"1,250.00" in read_copy(directory, before.evidence.id).body
    assert b"990.00" in read_copy(directory, after.evidence.id).body
    assert [e.id for e in history(directory, canonical_url(after.url))] == [before.evidence.id, after.evidence.id]


def test_refetches_of_archived_content_are_revisit_records(server: FixtureServer, settings: Settings) -> None:
    frontier = InMemoryFrontier()
    crawl(market(server), settings, frontier, CollectingSink())
    page = server.site.get(LISTING)
    assert page is not None
    # New markup whitespace: a new ETag (so a 200), the same extracted content.
    server.site.set_html(LISTING, page.body.decode().replace("<p>", "<p>\n  "))
    sink = CollectingSink()
    report = crawl(market(server), settings, frontier, sink)
    assert report.count("sekisho/unchanged") == 1 and report.emitted == 0
    # The changed-markup page is an identical-payload revisit; the four pages that answered 304 (hub, JSON API,
    # the two other listings) are server-not-modified revisits of their archived copies.
    assert report.count("sekisho/not_modified") == 4 and report.count("sekisho/evidence/revisits") == 5
    revisits = []
    for warc in evidence_dir(settings).glob("*.warc.gz"):
        with warc.open("rb") as stream:
            revisits += [r for r in ArchiveIterator(stream) if r.rec_type == "revisit"]
    profiles = {r.rec_headers.get_header("WARC-Target-URI").removeprefix(server.url): r for r in revisits}
    same = profiles[LISTING]
    assert same.rec_headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert same.rec_headers.get_header("WARC-Refers-To")  # the copy it repeats
    hub = profiles["/market/"]
    assert hub.rec_headers.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
    first_hub = next(e for url, e in index_entries(evidence_dir(settings)) if url.endswith("/market/"))
    assert hub.rec_headers.get_header("WARC-Payload-Digest") == first_hub.digest
    assert hub.rec_headers.get_header("WARC-Refers-To") == first_hub.warc_record_id


def test_warc_files_rotate_by_size_and_expire_by_age(server: FixtureServer, settings: Settings) -> None:
    small = settings.model_copy(update={"crawl_warc_max_bytes": 2048})
    sink = CollectingSink()
    crawl(market(server), small, InMemoryFrontier(), sink)
    directory = evidence_dir(small)
    files = sorted(directory.glob("*.warc.gz"))
    assert len(files) >= 3  # each ~1-2 KB copy fills a file
    assert all(path.stat().st_size < 2048 + 4096 for path in files)
    for record in sink.records:
        assert record.evidence is not None and read_copy(directory, record.evidence.id).digest_ok

    gone = sink.records[0].evidence
    assert gone is not None
    aged = directory / gone.warc_file
    old = datetime.now(UTC) - timedelta(days=800)
    os.utime(aged, (old.timestamp(), old.timestamp()))
    removed = prune(directory, timedelta(days=730))
    assert removed == [aged]
    assert not aged.exists() and not Path(f"{aged}.cdxj").exists()
    with pytest.raises(EvidenceError, match="gone"):
        read_copy(directory, gone.id)


def test_an_altered_copy_fails_its_digest(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path)
    now = datetime.now(UTC)
    evidence = archive.write_response(
        url="http://example.test/a.html",
        canonical="http://example.test/a.html",
        status=200,
        body=b"<p>price 100</p>",
        fetched_at=now,
        response_headers=[("Content-Type", "text/html")],
        request_headers=[("User-Agent", "test")],
    )
    archive.close()
    path = tmp_path / evidence.warc_file
    # Rewrite the response's gzip member with one changed byte in the body.
    data = path.read_bytes()
    member = gzip.decompress(data[evidence.offset : evidence.offset + evidence.length])
    altered = gzip.compress(member.replace(b"price 100", b"price 900"))
    path.write_bytes(data[: evidence.offset] + altered + data[evidence.offset + evidence.length :])
    copy = read_copy(tmp_path, evidence.id)
    assert copy.body == b"<p>price 900</p>" and not copy.digest_ok


def fetched(url: str, html: str) -> FetchedPage:
    body = f"<html><body>{html}</body></html>"
    return FetchedPage(
        url=url, status=200, body=body.encode(), fetched_at=datetime.now(UTC), content_type="text/html", text=body
    )


def test_a_page_that_cannot_be_archived_is_still_emitted_with_a_warning(tmp_path: Path) -> None:
    directory = tmp_path / "evidence"
    archive = WarcArchive(directory)
    directory.rmdir()  # nowhere to write
    source = source_from_mapping({"name": "t", "kind": "article", "start_urls": ["http://example.test/"]}, "")
    sink = CollectingSink()
    emitter = RecordEmitter(source, sink, archive)
    page = fetched("http://example.test/a.html", "<p>x</p>")
    emitter.submit(Emission(page, "parse"))
    emitter.close()
    assert [r.url for r in sink.records] == [page.url] and sink.records[0].evidence is None
    assert emitter.stats.archive_failed == 1 and "not written" in emitter.stats.warnings[0]


def test_field_changes_lists_only_what_differs() -> None:
    base = CrawledPage(
        id="p", source_format="web", url="u", canonical_url="u", source_name="s", price=10.0, phones=["+1"]
    )
    assert field_changes(base, base) == []
    changed = base.model_copy(update={"price": 12.5, "phones": ["+1", "+2"]})
    assert [(c.field, c.before, c.after) for c in field_changes(base, changed)] == [
        ("price", "10.0", "12.5"),
        ("phones", "+1", "+1, +2"),
    ]


def test_atom_feed_discovers_a_pdf_notice_and_its_text_is_extracted(server: FixtureServer, settings: Settings) -> None:
    source = fast(
        source_from_mapping(
            {
                "name": "notices-feed",
                "kind": "article",
                "feed_urls": ["{fixture_site}/notices/feed.atom"],
                "follow": [{"allow": [r"/notices/\d{4}/"], "parse": True}],
                "reliability": "A",
                "credibility": 2,
            },
            server.url,
        )
    )
    frontier, sink = InMemoryFrontier(), CollectingSink()
    crawl(source, settings, frontier, sink)
    notice = next(r for r in sink.records if r.canonical_url.endswith(PDF_NOTICE))
    assert notice.kind == "notice" and notice.grade == "A2"
    assert notice.title == "Notice of designation: procurement network"
    assert "KOREA MINING DEVELOPMENT TRADING CORPORATION (KOMID)" in (notice.text or "")
    assert "+12025550143" in notice.phones and "notices@treasury-example.gov" in notice.emails
    assert notice.published_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert notice.evidence is not None
    copy = read_copy(evidence_dir(settings), notice.evidence.id)
    assert copy.body.startswith(b"%PDF-") and copy.header("Content-Type") == "application/pdf"
    assert {r.kind for r in sink.records} == {"article", "notice"}

    # The feed is asked again conditionally: unchanged, it answers 304 and nothing is re-emitted.
    hits = server.hits["/notices/feed.atom"]
    again = CollectingSink()
    report = crawl(source, settings, frontier, again)
    assert server.hits["/notices/feed.atom"] == hits + 1
    assert report.count("sekisho/not_modified") >= 1 and again.records == []


def test_sitemap_is_asked_conditionally(server: FixtureServer, settings: Settings) -> None:
    source = fast(
        source_from_mapping(
            {
                "name": "by-sitemap",
                "kind": "article",
                "sitemap_urls": ["{fixture_site}/sitemap.xml"],
                "follow": [{"allow": [r"/notices/\d{4}/.+\.pdf$"], "parse": True}],
            },
            server.url,
        )
    )
    frontier, sink = InMemoryFrontier(), CollectingSink()
    crawl(source, settings, frontier, sink)
    assert [r.kind for r in sink.records] == ["notice"] and sink.records[0].grade == "F6"  # ungraded source
    report = crawl(source, settings, frontier, CollectingSink())
    # The sitemap and the PDF (due again at interval 0) both answer 304.
    assert report.count("sekisho/not_modified") == 2


def test_evidence_show_prints_the_archived_copy(
    server: FixtureServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = CollectingSink()
    crawl(market(server), settings, InMemoryFrontier(), sink)
    record = next(r for r in sink.records if r.canonical_url.endswith(LISTING))
    assert record.evidence is not None
    monkeypatch.setenv("SEKISHO_HOME", str(settings.home))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["evidence", "show", record.evidence.id])
        history_result = CliRunner().invoke(app, ["evidence", "history", record.url])
        missing = CliRunner().invoke(app, ["evidence", "show", "nothing.warc.gz:0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"evidence   {record.evidence.id}" in result.output
    assert "(verified)" in result.output
    assert f"> GET {LISTING} HTTP/1.1" in result.output and "< HTTP/1.1 200 OK" in result.output
    assert "TimeKeepers Wholesale" in result.output  # the body
    assert history_result.exit_code == 0 and record.evidence.id in history_result.output
    assert missing.exit_code == 1


class RefusingSink(CollectingSink):
    """Refuses one record id (as a full producer buffer would); keeps the others."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def send(self, record: CrawledPage) -> None:
        if record.url == self.refused:
            raise BufferError("queue full")
        super().send(record)


def test_a_refused_send_loses_no_other_record_and_is_raised_at_the_end(tmp_path: Path) -> None:
    source = source_from_mapping({"name": "t", "kind": "article", "start_urls": ["http://example.test/"]}, "")
    sink = RefusingSink("http://example.test/b.html")
    emitter = RecordEmitter(source, sink, WarcArchive(tmp_path))
    for name in "abc":
        emitter.submit(Emission(fetched(f"http://example.test/{name}.html", f"<p>text {name}</p>"), "parse"))
    with pytest.raises(RuntimeError, match="queue full"):
        emitter.close()
    assert [r.url for r in sink.records] == ["http://example.test/a.html", "http://example.test/c.html"]
    assert all(r.evidence is not None for r in sink.records)


def test_an_unreadable_index_line_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    archive = WarcArchive(tmp_path)
    url = "http://example.test/a.html"
    evidence = archive.write_response(
        url=url,
        canonical=url,
        status=200,
        body=b"<p>a</p>",
        fetched_at=datetime.now(UTC),
        response_headers=[],
        request_headers=[],
    )
    archive.close()
    index = tmp_path / f"{evidence.warc_file}.cdxj"
    index.write_text("half a line {\n" + index.read_text(encoding="utf-8"), encoding="utf-8")
    assert [e.id for e in history(tmp_path, url)] == [evidence.id]
    assert "index line skipped" in caplog.text
    assert WarcArchive(tmp_path).latest(url) == evidence
