"""Saved searches as subscriptions: a subscribed search alerts on each NEW record that matches it.

A run reads the records that match the search and arrived (``indexed_at``, else ``received_at``) at or
after its watermark, less an overlap that covers the index's refresh lag, and never before the search was
subscribed (what was there already is not news); a record already alerted for
the search is skipped by its alert key (``search:<search id>:<record id>``), so the overlap never raises
the same alert twice, and a replayed record keeps its key. The watermark then moves to the newest
arrival seen. Runs happen periodically against Elasticsearch (``sekisho targeting run-searches``) or on
demand through the API; either way the alerts go to the alert index and the CT unit's webhooks, and
analysts triage them like any other alert.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from crawlers.safety import parse_allowances
from schemas.documents import Alert, SavedSearch
from schemas.records import make_id
from sekisho.settings import Settings
from targeting.alerts import Subscription, dispatch
from targeting.webhook_guard import guarded_client

log = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=120)  # re-read behind the watermark: records indexed but not yet searchable
RUN_LIMIT = 500  # matches read per search and run; the watermark resumes from the last one read


@dataclass(frozen=True)
class Match:
    """A record that matches a saved search, with when it arrived."""

    record_id: str
    kind: str
    label: str
    arrived_at: datetime
    risk: float | None = None
    port: str | None = None


class MatchSource(Protocol):
    """What a run reads and writes (the API's ``Store`` is one)."""

    def matches_since(self, query: str, kinds: Sequence[str], since: datetime, limit: int) -> list[Match]:
        """Records matching ``query`` that arrived at or after ``since``, oldest first."""
        ...

    def known_alert_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` already have an alert."""
        ...

    def save_alerts(self, alerts: Sequence[Alert]) -> None: ...

    def save_search(self, search: SavedSearch) -> None: ...

    def saved_searches(self, owner_key_id: str | None) -> list[SavedSearch]: ...


@dataclass(frozen=True)
class RunResult:
    search: SavedSearch  # with its watermark moved on
    alerts: list[Alert]
    matched: int  # matches read, new or not


def search_alert_key(search_id: str, record_id: str) -> str:
    return f"search:{search_id}:{record_id}"


def describe(search: SavedSearch) -> str:
    filters = [f"kinds {', '.join(search.kinds)}"] if search.kinds else []
    if search.min_risk is not None:
        filters.append(f"risk >= {search.min_risk:.2f}")
    return f"'{search.query}'" + (f" ({'; '.join(filters)})" if filters else "")


def alert_for_match(search: SavedSearch, match: Match, now: datetime) -> Alert:
    """The alert a new match raises: medium unless the record's own risk says more."""
    key = search_alert_key(search.id, match.record_id)
    risk = match.risk or 0.0
    severity = "critical" if risk >= 0.9 else "high" if risk >= 0.7 else "medium"
    return Alert(
        id=make_id("alert", key),  # one alert per search and record, whatever the run
        key=key,
        record_id=match.record_id,
        record_type=match.kind,
        label=match.label,
        score=round(risk, 4),
        severity=severity,
        title=f"new match for saved search '{search.name}': {match.label}",
        reasons=[f"saved search {describe(search)} of {search.owner}",
                 f"arrived {match.arrived_at:%Y-%m-%d %H:%M} UTC, after the search's watermark"],
        port=match.port,
        created_at=now,
        source_received_at=match.arrived_at,
    )


def fresh_matches(source: MatchSource, search: SavedSearch, since: datetime, limit: int
                  ) -> tuple[list[Match], int, datetime | None]:
    """Up to ``limit`` matches from ``since`` on with no alert yet, oldest first; the number of matches
    read and the newest arrival read. Pages on past matches already alerted (the overlap re-reads them)."""
    read: dict[str, Match] = {}
    fresh: list[Match] = []
    cursor = since
    while len(fresh) < limit:
        page = source.matches_since(search.query, search.kinds, cursor, limit)
        unseen = [m for m in page if m.record_id not in read]
        if not unseen:
            break
        read.update((m.record_id, m) for m in unseen)
        wanted = [m for m in unseen if search.min_risk is None or (m.risk or 0.0) >= search.min_risk]
        known = source.known_alert_keys([search_alert_key(search.id, m.record_id) for m in wanted])
        fresh.extend(m for m in wanted if search_alert_key(search.id, m.record_id) not in known)
        if len(page) < limit:
            break
        cursor = page[-1].arrived_at
    if len(fresh) > limit:  # the rest waits for the next run, which resumes from the last one alerted
        return fresh[:limit], len(read), fresh[limit - 1].arrived_at
    return fresh, len(read), max((m.arrived_at for m in read.values()), default=None)


def run_search(source: MatchSource, search: SavedSearch, now: datetime, *, overlap: timedelta = OVERLAP,
               limit: int = RUN_LIMIT) -> RunResult:
    """Alert on the search's new matches and move its watermark (saved with the alerts)."""
    if not search.subscribed:
        return RunResult(search, [], 0)
    start = search.subscribed_at or search.created_at
    watermark = search.watermark or start
    fresh, matched, newest = fresh_matches(source, search, max(start, watermark - overlap), limit)
    alerts = [alert_for_match(search, m, now) for m in fresh]
    updated = search.model_copy(update={"watermark": max(watermark, newest or watermark),
                                        "alerted": search.alerted + len(alerts), "last_run_at": now})
    if alerts:
        source.save_alerts(alerts)
    source.save_search(updated)
    return RunResult(updated, alerts, matched)


def run_searches(source: MatchSource, searches: Sequence[SavedSearch], now: datetime, *,
                 overlap: timedelta = OVERLAP, limit: int = RUN_LIMIT) -> list[RunResult]:
    return [run_search(source, s, now, overlap=overlap, limit=limit) for s in searches if s.subscribed]


def deliver(alerts: Sequence[Alert], subscriptions: Sequence[Subscription], settings: Settings) -> int:
    """Send new-match alerts to the webhooks that want them, through the guarded client; deliveries made."""
    if not alerts or not subscriptions:
        return 0
    allowed = parse_allowances(settings.alert_webhook_allowed_targets)
    with guarded_client(allowed, settings.alert_webhook_timeout_s) as client:
        return sum(d.delivered for a in alerts for d in dispatch(a, subscriptions, client,
                                                          attempts=settings.alert_retry_attempts,
                                                          base_delay_s=settings.alert_retry_base_s))


def run_every(source: MatchSource, webhooks: Callable[[], Sequence[Subscription]], settings: Settings,
              every_s: float, stop: threading.Event,
              report: Callable[[RunResult, int], None] | None = None) -> None:
    """Run every subscribed search, deliver its alerts, and again every ``every_s`` seconds until ``stop``
    (``every_s <= 0``: once). A failed round (the index unreachable) is logged and retried next round."""
    while True:
        try:
            for result in run_searches(source, source.saved_searches(None), datetime.now(UTC)):
                delivered = deliver(result.alerts, webhooks(), settings)
                if report is not None:
                    report(result, delivered)
        except Exception as exc:  # the next round retries; the API keeps serving
            log.warning("saved searches not run this round: %s", exc)
        if every_s <= 0 or stop.wait(every_s):
            return
