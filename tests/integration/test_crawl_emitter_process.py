"""The crawl's worker process on the real stack: pages in through the pipe, records on Kafka's raw topic with
their evidence on disk, and a worker killed mid-crawl replaced without losing a record (and said so)."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from crawlers.emitter import Emission, PageResult
from crawlers.emitter_process import ProcessEmitter
from crawlers.extractors import FetchedPage
from crawlers.links import FollowLink
from crawlers.sources import SourceDefinition, source_from_mapping
from crawlers.warc_archive import read_copy
from feeds import MessageContext, parse_message
from schemas.records import CrawledPage
from sekisho import kafka_io
from sekisho.settings import Settings
from tests.unit.test_crawl_links import page

pytestmark = pytest.mark.integration
REQUEST_HEADERS = {b"User-Agent": [b"SekishoBot"]}

SOURCE: SourceDefinition = source_from_mapping(
    {"name": "emitter-test", "kind": "listing", "start_urls": ["http://shop.test/"]}, ""
)


def listing_page(number: int) -> FetchedPage:
    html = (
        f"<html lang='en'><body><h1>Lot {number}: pumps</h1><p class='price'>USD {100 + number}.00</p>"
        f"<p class='seller'>Seller {number}</p><p>Contact +852 9123 45{number:02d}</p></body></html>"
    )
    # Decoded already, as a crawl without a worker process hands pages over.
    return replace(page(f"http://shop.test/lot/{number}.html", html, markup=None), text=html,
                   request_headers=REQUEST_HEADERS)


def kill(emitter: ProcessEmitter) -> None:
    """SIGKILL the worker and wait until it is gone (its end of the pipe closed)."""
    process = emitter._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def raw_records(settings: Settings) -> dict[str, CrawledPage]:
    found: dict[str, CrawledPage] = {}
    for message in kafka_io.consume(settings.topic("raw"), settings=settings, idle_timeout_s=3):
        (record,) = parse_message(message.value, MessageContext(source=message.headers["source"]))
        assert isinstance(record, CrawledPage)
        found[record.url] = record
    return found


def test_a_killed_worker_is_replaced_and_no_record_is_lost(stack: Settings, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    emitter = ProcessEmitter(SOURCE, stack, str(evidence), 64 * 1024 * 1024, tmp_path / "lists")
    results: list[PageResult] = []
    emitter.on_results = results.extend
    first_worker = emitter.pid
    assert first_worker is not None
    for number in range(1, 41):
        emitter.submit(Emission(listing_page(number), "parse"))
        if number == 20:
            emitter._hand_off()  # the first half is in the worker's hands (maybe not confirmed yet)
            kill(emitter)
    emitter.close()

    # The death was noticed and said, and a second worker took over every unconfirmed batch.
    assert emitter.stats.worker_restarts == 1
    assert any("emitter process died" in warning for warning in emitter.stats.warnings)
    assert emitter.stats.worker_cpu_s > 0  # reported by the worker that finished
    # Every page's record is on Kafka (a record handed over twice has the same id and key), each with an
    # evidence copy that reads back with its digest intact.
    records = raw_records(stack)
    assert sorted(records) == sorted(f"http://shop.test/lot/{n}.html" for n in range(1, 41))
    for record in records.values():
        assert record.evidence is not None and record.grade == "F6"
        copy = read_copy(evidence, record.evidence.id)
        assert copy.digest_ok and copy.url == record.url
    # The frontier learns each page's outcome (content hash, record id), at least once.
    assert {r.canonical for r in results} == set(records)
    assert all(r.outcome == "new" and r.record_id for r in results)


def test_a_worker_that_keeps_dying_is_reported_not_silent(stack: Settings, tmp_path: Path) -> None:
    emitter = ProcessEmitter(SOURCE, stack, str(tmp_path / "evidence"), 64 * 1024 * 1024)
    emitter.submit(Emission(listing_page(1), "parse"))
    for _ in range(5):
        if emitter.pid is None:
            break
        kill(emitter)
        emitter._hand_off()
        emitter.submit(Emission(listing_page(2), "parse"))
        emitter._hand_off()
    with pytest.raises(RuntimeError, match="pages not archived or sent"):
        emitter.close()
    assert any("died 4 times" in warning for warning in emitter.stats.warnings)


def linking_page(number: int) -> FetchedPage:
    """A hub page with its body undecoded (as the crawl hands pages over) and one link of its own."""
    html = f"<html><body><a href='/lot/{number}.html'>Lot {number}</a><a href='/about.html'>about</a></body></html>"
    return replace(page(f"http://shop.test/page/{number}.html", html), request_headers=REQUEST_HEADERS)


def test_links_come_back_once_per_page_across_a_worker_death(stack: Settings, tmp_path: Path) -> None:
    source = source_from_mapping(
        {
            "name": "emitter-links",
            "kind": "listing",
            "start_urls": ["http://shop.test/"],
            "follow": [{"allow": ["/lot/"]}],
        },
        "",
    )
    emitter = ProcessEmitter(source, stack, str(tmp_path / "evidence"), 64 * 1024 * 1024)
    links: list[FollowLink] = []
    emitter.on_links = links.extend
    for number in range(1, 11):
        emitter.submit(Emission(linking_page(number), "hub", follow_depth=1))
    emitter.settle_links()  # found by the worker, or here while it was still starting
    assert sorted(link.url for link in links) == sorted(f"http://shop.test/lot/{n}.html" for n in range(1, 11))
    for number in range(11, 21):
        emitter.submit(Emission(linking_page(number), "hub", follow_depth=2))
    emitter.release()
    kill(emitter)  # its links may or may not have come back: either way they arrive once
    emitter.settle_links()
    emitter.close()
    assert emitter.stats.worker_restarts == 1
    urls = [link.url for link in links]
    assert sorted(urls) == sorted(f"http://shop.test/lot/{n}.html" for n in range(1, 21))  # none twice, none lost
    assert {link.depth for link in links if int(link.url.rsplit("/", 1)[1].split(".")[0]) > 10} == {2}
    assert emitter.stats.archived == 20  # every page archived, the unconfirmed ones by the replacement


def test_a_hung_worker_is_killed_and_replaced(stack: Settings, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    emitter = ProcessEmitter(SOURCE, stack, str(evidence), 64 * 1024 * 1024, tmp_path / "lists")
    emitter.silence_s = 5.0
    first = emitter._process
    assert first is not None
    for number in range(101, 111):  # pages of their own: the module's tests share the raw topic
        emitter.submit(Emission(listing_page(number), "parse"))
    emitter._hand_off()
    os.kill(first.pid, signal.SIGSTOP)  # alive, holding its pipe, answering nothing
    try:
        emitter.close()  # the flush waits 5 s, kills the silent worker and hands its batches to a new one
    finally:
        with contextlib.suppress(OSError):
            os.kill(first.pid, signal.SIGKILL)
    assert first.wait(timeout=30) is not None
    assert emitter.stats.worker_restarts == 1
    assert any("no answer for 5 s" in warning for warning in emitter.stats.warnings)
    records = raw_records(stack)
    assert {f"http://shop.test/lot/{n}.html" for n in range(101, 111)} <= set(records)
