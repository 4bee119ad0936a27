"""Frontier logic: scheduling after fetches, change detection and batched persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawlers.frontier import CrawlState, InMemoryFrontier, after_fetch, change_of, discovered, status_id

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_ids_are_deterministic_per_canonical_url() -> None:
    assert status_id("http://h/a") == status_id("http://h/a")
    assert status_id("http://h/a") != status_id("http://h/b")
    assert discovered("http://h/a", "src", 1, NOW).id == status_id("http://h/a")


def test_success_schedules_the_next_recrawl_and_keeps_validators() -> None:
    first = after_fetch(
        discovered("http://h/a", "s", 0, NOW),
        now=NOW,
        interval_s=3600,
        status="fetched",
        http_status=200,
        etag='"v1"',
        last_modified="Mon, 02 Mar 2026 09:30:00 GMT",
        content_hash="abc",
    )
    assert first.next_fetch_date == NOW + timedelta(hours=1)
    assert (first.etag, first.content_hash, first.fail_count) == ('"v1"', "abc", 0)
    # A 304 brings no validators or content: the earlier ones stay.
    later = NOW + timedelta(hours=2)
    second = after_fetch(first, now=later, interval_s=3600, status="unchanged", http_status=304)
    assert (second.etag, second.content_hash, second.http_status) == ('"v1"', "abc", 304)
    assert second.next_fetch_date == later + timedelta(hours=1)


def test_errors_back_off_exponentially_up_to_the_interval() -> None:
    status = discovered("http://h/a", "s", 0, NOW)
    delays = []
    for _ in range(6):
        status = after_fetch(status, now=NOW, interval_s=3600, status="error", http_status=500, reason="http.500")
        assert status.next_fetch_date is not None
        delays.append((status.next_fetch_date - NOW).total_seconds())
    assert delays == [300, 600, 1200, 2400, 3600, 3600]
    assert status.fail_count == 6
    recovered = after_fetch(status, now=NOW, interval_s=3600, status="fetched", http_status=200)
    assert recovered.fail_count == 0


def test_change_detection() -> None:
    known = after_fetch(
        discovered("http://h/a", "s", 0, NOW),
        now=NOW,
        interval_s=1,
        status="fetched",
        http_status=200,
        content_hash="h1",
    )
    assert change_of(None, "h1") == "new"
    assert change_of(discovered("http://h/a", "s", 0, NOW).content_hash, "h1") == "new"
    assert change_of(known.content_hash, "h1") == "unchanged"
    assert change_of(known.content_hash, "h2") == "changed"


def test_crawl_state_loads_once_flushes_in_batches_and_lists_due_urls() -> None:
    frontier = InMemoryFrontier()
    frontier.save(
        [
            discovered("http://h/old", "s", 2, NOW - timedelta(days=1)),
            discovered("http://h/other-source", "t", 0, NOW),
        ]
    )
    state = CrawlState(frontier, "s", flush_every=3)
    assert len(state) == 1 and state.get("http://h/old") is not None
    state.put(discovered("http://h/a", "s", 0, NOW))
    state.put(discovered("http://h/b", "s", 1, NOW + timedelta(hours=1)))
    assert len(frontier.load("s")) == 1  # not yet flushed
    state.put(discovered("http://h/c", "s", 1, NOW))
    assert len(frontier.load("s")) == 4  # third put reached the batch size
    assert [s.url for s in state.due(NOW)] == ["http://h/a", "http://h/c", "http://h/old"]  # shallow first


def test_refused_urls_are_never_due() -> None:
    state = CrawlState(InMemoryFrontier(), "s")
    state.put(discovered("http://10.0.0.5/", "s", 1, NOW).model_copy(update={"status": "refused"}))
    assert state.due(NOW + timedelta(days=365)) == []

