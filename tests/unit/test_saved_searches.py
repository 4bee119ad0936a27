"""Saved searches as subscriptions: per-user searches, alerts on records that arrive after subscribing,
never twice for the same record (overlap, replays, limits), roles, audit and webhook delivery."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from graph.links import links_of
from schemas.documents import SavedSearch
from schemas.records import Passenger, make_id
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions, new_subscription
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.purpose import BASIS_HEADER, MASK, PURPOSE_HEADER
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store
from targeting.saved_searches import run_search, search_alert_key
from tests.unit.test_targeting_alerts import Receiver

DAY = date(2026, 11, 25)


def traveller(name: str, n: int, at: datetime | None = None) -> Passenger:
    return Passenger(id=make_id("passenger", "arrival", name, str(n)), source_format="test", full_name=name,
                     debarkation="NRT", indexed_at=at)


def arrive(store: MemoryStore, *records: Passenger) -> None:
    store.add_records(records)
    for record in records:
        store.graph.add(*links_of(record))


def test_a_subscribed_search_alerts_once_on_each_new_match(webhook_receiver: Receiver) -> None:
    settings = get_settings().model_copy(update={"alert_webhook_allowed_targets": [webhook_receiver.url.split("/")[2]],
                                                 "alert_retry_attempts": 1})
    keys, subscriptions = MemoryKeyStore(), MemorySubscriptions()
    subscriptions.add(new_subscription("ct", webhook_receiver.url, "s3cret"))
    store = sample_store(settings, day=DAY)
    client = TestClient(create_app(store, keys, MemoryRawSink(), subscriptions, settings))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}

    body = {"name": "Volkov arrivals", "query": "volkov", "kinds": ["passenger"], "subscribe": True}
    assert client.post("/api/searches", json=body, headers=auth[Role.ENFORCEMENT]).status_code == 403
    saved = client.post("/api/searches", json=body, headers=auth[Role.ANALYST]).json()
    sid = saved["id"]
    assert saved["subscribed"] and saved["owner"] == "analyst-user" and saved["watermark"]
    # Searches are per user: the CT unit neither lists nor runs the analyst's; an administrator sees all.
    assert client.get("/api/searches", headers=auth[Role.CT_UNIT]).json() == []
    assert client.post(f"/api/searches/{sid}/run", headers=auth[Role.CT_UNIT]).status_code == 404
    assert [s["id"] for s in client.get("/api/searches", headers=auth[Role.ADMIN]).json()] == [sid]

    # The planted VOLKOV was there before the subscription: not news.
    first = client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()
    assert first["alerts"] == []

    new = traveller("DMITRI VOLKOV", 1)
    arrive(store, new, traveller("ANNA SMITH", 2))
    second = client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()
    assert [a["record_id"] for a in second["alerts"]] == [new.id]
    raised = second["alerts"][0]
    assert raised["key"] == search_alert_key(sid, new.id)
    assert raised["title"] == "new match for saved search 'Volkov arrivals': DMITRI VOLKOV"
    assert any("'volkov' (kinds passenger)" in r for r in raised["reasons"])

    # Run again (the overlap re-reads it) and replay the record: still one alert.
    arrive(store, new)
    third = client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()
    assert third["alerts"] == [] and third["matched"] >= 1 and third["search"]["alerted"] == 1
    listed = client.get("/api/alerts", headers=auth[Role.ANALYST]).json()
    assert [a["key"] for a in listed].count(raised["key"]) == 1
    # ... and it is triaged like any alert.
    acked = client.post(f"/api/alerts/{raised['key']}/acknowledge", headers=auth[Role.ANALYST])
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"

    assert not client.post(f"/api/searches/{sid}/unsubscribe", headers=auth[Role.ANALYST]).json()["subscribed"]
    assert client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).status_code == 409
    assert client.delete(f"/api/searches/{sid}", headers=auth[Role.ANALYST]).status_code == 204
    assert client.get("/api/searches", headers=auth[Role.ANALYST]).json() == []

    actions = [e.action for e in store.audit_log if e.action.startswith("search.")]
    assert actions == ["search.save", "search.run", "search.run", "search.run", "search.unsubscribe", "search.delete"]
    deadline = time.monotonic() + 10
    while len(webhook_receiver.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    delivered = [json.loads(b) for _, b in webhook_receiver.calls]
    assert [(d.get("event"), d["record_id"]) for d in delivered] == [(None, new.id), ("alert.acknowledge", new.id)]


def test_the_watermark_resumes_where_a_limited_run_stopped() -> None:
    store = MemoryStore()
    start = datetime.now(UTC)
    search = SavedSearch(id="search-1", name="chen", query="chen", owner="ana", owner_key_id="k1",
                         subscribed=True, subscribed_at=start, watermark=start, created_at=start, updated_at=start)
    arrive(store, *(traveller("WEI CHEN", n, start + timedelta(minutes=n)) for n in range(1, 4)))
    arrive(store, traveller("WEI CHEN", 0, start - timedelta(seconds=5)))  # before the subscription
    first = run_search(store, search, start + timedelta(minutes=5), limit=2)
    second = run_search(store, first.search, start + timedelta(minutes=6), limit=2)
    third = run_search(store, second.search, start + timedelta(minutes=7), limit=2)
    assert [len(r.alerts) for r in (first, second, third)] == [2, 1, 0]
    assert second.search.watermark == start + timedelta(minutes=3)
    assert {a.record_id for r in (first, second) for a in r.alerts} == {
        traveller("WEI CHEN", n).id for n in range(1, 4)}
    assert store.saved_search("search-1") == third.search
    assert not run_search(store, search.model_copy(update={"subscribed": False}), start).alerts


def test_a_run_shows_pnr_travellers_only_under_a_purpose() -> None:
    settings = get_settings()
    keys = MemoryKeyStore()
    store = sample_store(settings, day=DAY)
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), settings))
    analyst = {"Authorization": f"Bearer {create_key(keys, Role.ANALYST, 'ana')}"}
    sid = client.post("/api/searches", json={"name": "chen", "query": "CHEN", "subscribe": True},
                      headers=analyst).json()["id"]
    booked = traveller("LI CHEN", 7).model_copy(update={"source_format": "pnrgov"})
    arrive(store, booked)
    masked = client.post(f"/api/searches/{sid}/run", headers=analyst).json()["alerts"]
    assert [a["label"] for a in masked] == [MASK] and "LI CHEN" not in json.dumps(masked)
    shown = client.get("/api/alerts", headers={**analyst, PURPOSE_HEADER: "alert:x", BASIS_HEADER: "eu-pnr-art6-2b"})
    assert "new match for saved search 'chen': LI CHEN" in {a["title"] for a in shown.json()}
