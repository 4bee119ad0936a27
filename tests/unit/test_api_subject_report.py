"""The data-subject report: an administrator gets everything held about one traveller, accesses included."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store

DAY = date(2026, 11, 25)


def test_report_gathers_records_links_alerts_and_accesses() -> None:
    store = sample_store(get_settings(), day=DAY)
    keys = MemoryKeyStore()
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value)}"} for role in Role}
    volkov = client.get("/api/search", params={"q": "volkov", "kind": "passenger"},
                        headers=auth[Role.ANALYST]).json()[0]["id"]
    assert client.get(f"/api/entities/{volkov}", headers=auth[Role.CT_UNIT]).status_code == 200

    assert client.get("/api/subjects/report", params={"q": "volkov"}, headers=auth[Role.ANALYST]).status_code == 403
    response = client.get("/api/subjects/report", params={"q": "volkov"}, headers=auth[Role.ADMIN])
    assert response.status_code == 200
    report = response.json()
    kinds = {r["record_type"] for r in report["records"]}
    assert volkov in {r["id"] for r in report["records"]} and "booking" in kinds
    assert any(n["kind"] == "phone" and n["label"] == "+85291234567" for n in report["nodes"])
    assert {e["relation"] for e in report["edges"]} >= {"has_phone", "on_booking"}
    assert [a["record_id"] for a in report["alerts"]] == [volkov]
    accesses = [(a["action"], a["role"]) for a in report["accesses"]]
    assert ("search", "analyst") in accesses and ("entity.view", "ct_unit") in accesses
    assert store.audit_log[-1].action == "subject.report"
