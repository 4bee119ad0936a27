"""Alert triage: states, dispositions, assignment, notes, filters and counts, roles, audit, webhooks of
state changes, and escalation when a target's alert rises into a higher severity band."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from schemas.documents import Alert
from sekisho.settings import get_settings
from targeting.alerts import SIGNATURE_HEADER, Deduplicator, MemorySubscriptions, new_subscription, verify
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store
from targeting.triage import TriageError, apply, start, triaged
from tests.unit.test_targeting_alerts import Receiver

DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def alert(severity: str, score: float, at: datetime = NOW) -> Alert:
    return Alert(id=f"alert-{severity}-{at.isoformat()}", key="passenger:p-1", record_id="passenger-1",
                 record_type="passenger", label="WEI CHEN", score=score, severity=severity,  # type: ignore[arg-type]
                 title=f"{severity} traveller WEI CHEN", port="NRT", created_at=at)


def test_a_higher_band_reopens_a_handled_alert_as_escalated() -> None:
    first = alert("high", 0.75)
    closed = apply(triaged(first, None), start(first, NOW, "ana"), "close", now=NOW, by="ana",
                   disposition="not_relevant")
    assert triaged(first, closed).state == "closed"
    same_band = alert("high", 0.8, NOW + timedelta(hours=1))
    assert triaged(same_band, closed).state == "closed" and not triaged(same_band, closed).escalated
    higher = triaged(alert("critical", 0.93, NOW + timedelta(hours=2)), closed)
    assert higher.state == "new" and higher.escalated and higher.disposition is None
    with pytest.raises(TriageError, match="needs a disposition"):
        apply(higher, closed, "close", now=NOW, by="ana")
    with pytest.raises(TriageError, match="cannot reopen an alert that is new"):
        apply(higher, closed, "reopen", now=NOW, by="ana")


def test_deduplicator_admits_a_higher_band_inside_the_window() -> None:
    dedup = Deduplicator(timedelta(hours=24), escalation=0.5)
    assert dedup.admit(alert("medium", 0.6))
    assert not dedup.admit(alert("medium", 0.65, NOW + timedelta(minutes=5)))
    assert dedup.admit(alert("high", 0.72, NOW + timedelta(minutes=6)))  # band rose: alert again


def test_triage_through_the_api(webhook_receiver: Receiver) -> None:
    settings = get_settings().model_copy(update={"alert_webhook_allowed_targets": [webhook_receiver.url.split("/")[2]],
                                                 "alert_retry_attempts": 1})
    keys, subscriptions = MemoryKeyStore(), MemorySubscriptions()
    store: MemoryStore = sample_store(settings, day=DAY)
    client = TestClient(create_app(store, keys, MemoryRawSink(), subscriptions, settings))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}
    subscription = subscriptions.add(new_subscription("ct", webhook_receiver.url, "s3cret"))

    listed = client.get("/api/alerts", headers=auth[Role.ANALYST]).json()
    assert listed and all(a["state"] == "new" for a in listed)
    volkov = next(a for a in listed if a["label"] == "DMITRI VOLKOV")
    key = volkov["key"]
    assert client.get("/api/alerts/counts", headers=auth[Role.CT_UNIT]).json()["by_state"]["new"] == len(listed)

    done = client.post(f"/api/alerts/{key}/acknowledge", headers=auth[Role.ANALYST]).json()
    assert done["state"] == "acknowledged" and done["triaged_by"] == "analyst-user"
    again = client.post(f"/api/alerts/{key}/acknowledge", headers=auth[Role.ANALYST])
    assert again.status_code == 409
    assigned = client.post(f"/api/alerts/{key}/assign", json={"assignee": "ct_unit-user"},
                           headers=auth[Role.ANALYST]).json()
    assert assigned["assignee"] == "ct_unit-user"
    noted = client.post(f"/api/alerts/{key}/notes", json={"text": "passport matches the SDN entry"},
                        headers=auth[Role.CT_UNIT]).json()
    assert [(n["author"], n["text"]) for n in noted["notes"]] == [("ct_unit-user", "passport matches the SDN entry")]

    # Enforcement works the queue, not alerts; a close needs a disposition; only an admin reopens.
    closing = {"disposition": "true_hit", "note": "referred to the CT unit"}
    assert client.post(f"/api/alerts/{key}/close", json=closing, headers=auth[Role.ENFORCEMENT]).status_code == 403
    assert client.post(f"/api/alerts/{key}/close", json={}, headers=auth[Role.CT_UNIT]).status_code == 422
    closed = client.post(f"/api/alerts/{key}/close", json=closing, headers=auth[Role.CT_UNIT]).json()
    assert closed["state"] == "closed" and closed["disposition"] == "true_hit"
    assert client.post(f"/api/alerts/{key}/reopen", headers=auth[Role.ANALYST]).status_code == 403

    by_state = client.get("/api/alerts", params={"state": "closed"}, headers=auth[Role.ANALYST]).json()
    assert [a["key"] for a in by_state] == [key]
    by_port = client.get("/api/alerts", params={"port": "nrt", "severity": volkov["severity"]},
                         headers=auth[Role.ANALYST]).json()
    assert key in {a["key"] for a in by_port} and all(a["severity"] == volkov["severity"] for a in by_port)
    counted = client.get("/api/alerts/counts", headers=auth[Role.ANALYST]).json()
    assert counted["by_state"]["closed"] == 1 and counted["by_state"]["new"] == len(listed) - 1
    assert client.post("/api/alerts/passenger:nobody/acknowledge", headers=auth[Role.ANALYST]).status_code == 404

    actions = [e.action for e in store.audit_log if e.action.startswith("alert.")]
    assert actions == ["alert.acknowledge", "alert.assign", "alert.note", "alert.close"]

    deadline = time.monotonic() + 10
    while len(webhook_receiver.calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    events = [json.loads(body) for _, body in webhook_receiver.calls]
    assert [e["event"] for e in events] == ["alert.acknowledge", "alert.assign", "alert.close"]
    assert events[-1]["state"] == "closed" and events[-1]["disposition"] == "true_hit" and events[-1]["key"] == key
    headers, body = webhook_receiver.calls[-1]
    assert verify(body, "s3cret", headers[SIGNATURE_HEADER]) and subscription.wants(Alert(**{
        k: v for k, v in volkov.items() if k in Alert.model_fields}))
