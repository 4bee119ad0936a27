"""Re-identification: a request under a case, a second person's time-limited approval, every step audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from schemas.records import Passenger
from sekisho.settings import get_settings
from targeting import retention
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app, reidentify
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, Principal, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role

RECEIVED = datetime(2026, 5, 1, tzinfo=UTC)
ORIGINAL = Passenger(id="passenger-volkov", source_format="pnrgov", source="t", full_name="DMITRI VOLKOV",
                     surname="VOLKOV", received_at=RECEIVED)


def setup() -> tuple[TestClient, MemoryStore, dict[str, dict[str, str]]]:
    store = MemoryStore()
    masked = retention.depersonalise(ORIGINAL, RECEIVED + timedelta(days=200))
    store.add_records([masked])
    store.sealed_records[ORIGINAL.id] = retention.sealed(ORIGINAL, RECEIVED + timedelta(days=200))
    keys = MemoryKeyStore()
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    auth = {name: {"Authorization": f"Bearer {create_key(keys, role, name)}"}
            for name, role in [("alice", Role.ANALYST), ("bob", Role.ANALYST), ("carol", Role.APPROVER)]}
    auth["alice-approver"] = {"Authorization": f"Bearer {create_key(keys, Role.APPROVER, 'alice')}"}
    return client, store, auth


BODY = {"record_ids": [ORIGINAL.id], "case_reference": "CASE-2026-0042", "legal_basis": "eu-pnr-art6-2b",
        "reason": "co-traveller of a seized courier, case 42"}


def test_request_approval_by_a_second_person_then_reading_under_it() -> None:
    client, store, auth = setup()
    assert "VOLKOV" not in str(store.documents)  # only the sealed copy holds the name
    asked = client.post("/api/reidentifications", json=BODY, headers=auth["alice"])
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    request_id = asked.json()["id"]
    records = f"/api/reidentifications/{request_id}/records"
    assert client.get(records, headers=auth["alice"]).status_code == 403  # not approved yet
    decision = f"/api/reidentifications/{request_id}/decision"
    assert client.post(decision, json={"approve": True}, headers=auth["alice"]).status_code == 403  # no role
    assert client.post(decision, json={"approve": True}, headers=auth["alice-approver"]).status_code == 403
    approved = client.post(decision, json={"approve": True}, headers=auth["carol"])
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.get(records, headers=auth["bob"]).status_code == 403  # another analyst
    read = client.get(records, headers=auth["alice"])
    assert read.status_code == 200 and read.json()[0]["record"]["full_name"] == "DMITRI VOLKOV"
    trail = [(e.action, e.params.get("case")) for e in store.audit_log if e.action.startswith("reident")]
    assert trail == [("reidentification.request", "CASE-2026-0042"), ("reidentification.approved", "CASE-2026-0042"),
                     ("reidentification.read", "CASE-2026-0042")]
    assert client.post(decision, json={"approve": False}, headers=auth["carol"]).status_code == 409


def test_an_approval_expires() -> None:
    _, store, _ = setup()
    requester = Principal(key_id="k1", role=Role.ANALYST, name="alice")
    approver = Principal(key_id="k2", role=Role.APPROVER, name="carol")
    asked = reidentify.new_request(requester, [ORIGINAL.id], "CASE-1", "eu-pnr-art6-2b", "needed for case one",
                                   ["eu-pnr-art6-2b"])
    approved = reidentify.decide(asked, approver, True, hours=24, now=asked.requested_at)
    assert reidentify.sealed_records(store, approved, requester, now=asked.requested_at + timedelta(hours=1))
    with pytest.raises(HTTPException) as late:
        reidentify.sealed_records(store, approved, requester, now=asked.requested_at + timedelta(hours=25))
    assert late.value.status_code == 403


def test_requests_need_a_case_a_listed_basis_and_a_reason() -> None:
    client, _, auth = setup()
    for change in ({"legal_basis": "curiosity"}, {"case_reference": ""}, {"reason": "x"}, {"record_ids": []}):
        response = client.post("/api/reidentifications", json={**BODY, **change}, headers=auth["alice"])
        assert response.status_code == 422, change
