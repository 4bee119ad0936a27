"""Saved searches and cases on Elasticsearch: a subscription alerts once on a record indexed after it (API
run and the `sekisho targeting run-searches` command), and a case is opened, gathered, exported and closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from followthemoney import model
from typer.testing import CliRunner

from schemas.records import Passenger, make_id
from sekisho import es_io
from sekisho.settings import Settings, get_settings
from targeting.api.roles import Role
from tests.integration.conftest import PlantedApi

pytestmark = pytest.mark.integration
Api = tuple[TestClient, dict[Role, dict[str, str]], Settings]


@pytest.fixture(scope="module")
def api(planted_api: PlantedApi, stack: Settings) -> Api:
    return (*planted_api, stack)


def arrives(settings: Settings, name: str) -> Passenger:
    """A traveller as the stream writes one: stamped with the time it is sent to the index."""
    traveller = Passenger(id=make_id("passenger", "later", name), source_format="test", full_name=name,
                          debarkation="NRT", indexed_at=datetime.now(UTC))
    es_io.write_records([traveller], settings)
    es_io.refresh(settings)
    return traveller


def test_a_subscription_alerts_once_per_new_record(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    client, auth, settings = api
    body = {"name": "Volkov arrivals", "query": "VOLKOV", "kinds": ["passenger"], "subscribe": True}
    saved = client.post("/api/searches", json=body, headers=auth[Role.ANALYST]).json()
    sid = saved["id"]
    assert client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()["alerts"] == []

    first = arrives(settings, "IVAN VOLKOV")
    run = client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()
    assert [a["record_id"] for a in run["alerts"]] == [first.id]
    assert run["alerts"][0]["label"] == "IVAN VOLKOV"
    again = client.post(f"/api/searches/{sid}/run", headers=auth[Role.ANALYST]).json()
    assert again["alerts"] == [] and again["matched"] == 1  # re-read in the overlap, not raised again

    # The periodic command runs every subscription against the same indices.
    second = arrives(settings, "OLGA VOLKOV")
    from sekisho.cli import app

    monkeypatch.setenv("SEKISHO_NAMESPACE", settings.namespace)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["targeting", "run-searches"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Volkov arrivals (analyst-it)" in result.output and "1 new alerts" in result.output
    keys = {a["key"] for a in client.get("/api/alerts", headers=auth[Role.ANALYST]).json()}
    assert {f"search:{sid}:{first.id}", f"search:{sid}:{second.id}"} <= keys
    assert [s["alerted"] for s in client.get("/api/searches", headers=auth[Role.ANALYST]).json()] == [2]
    assert client.get("/api/searches", headers=auth[Role.CT_UNIT]).json() == []
    assert client.delete(f"/api/searches/{sid}", headers=auth[Role.ANALYST]).status_code == 204
    assert client.get("/api/searches", headers=auth[Role.ANALYST]).json() == []


def test_a_case_on_elasticsearch(api: Api, tmp_path: Path) -> None:
    client, auth, _ = api
    volkov = next(a for a in client.get("/api/alerts", headers=auth[Role.ANALYST]).json()
                  if a["label"] == "DMITRI VOLKOV")
    case = client.post("/api/cases", headers=auth[Role.ANALYST], json={
        "title": "Volkov", "legal_basis": "eu-pnr-art6-2b", "opened_from": "alert", "ref": volkov["key"]}).json()
    cid = case["id"]
    party = next(h for h in client.get("/api/search", params={"q": "PACIFIC RIM"}, headers=auth[Role.ANALYST]).json()
                 if h["kind"] == "party")
    added = client.post(f"/api/cases/{cid}/items", json={"kind": "entity", "ref": party["id"]},
                        headers=auth[Role.ANALYST]).json()
    assert added["entities"] == [volkov["record_id"], party["id"]]
    lines = client.get(f"/api/cases/{cid}/export", headers=auth[Role.CT_UNIT]).text.splitlines()
    proxies = [model.get_proxy(json.loads(line)) for line in lines]
    assert {p.id for p in proxies} >= {volkov["record_id"], party["id"], f"sekisho-case-{cid}"}
    report = client.get(f"/api/cases/{cid}/report", headers=auth[Role.ANALYST]).text
    assert "<svg" in report and "shares a phone (+85291234567) with traveller DMITRI VOLKOV" in report
    closed = client.post(f"/api/cases/{cid}/close", headers=auth[Role.ANALYST]).json()
    assert closed["state"] == "closed"
    listed = client.get("/api/cases", params={"state": "closed"}, headers=auth[Role.ADMIN]).json()
    assert [c["id"] for c in listed] == [cid]
