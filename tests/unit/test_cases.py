"""Cases: opened from an alert, a queue pick or an entity under a legal basis; alerts, entities, screening
decisions, evidence and notes gathered; who may read, add, close, reopen and export; every action audited;
exported as valid FollowTheMoney entities and as a standalone HTML report with the graph drawn in SVG."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from followthemoney import model

from enrichment.screening.entries import WatchlistEntry
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.match_review import ListEntries
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store
from targeting.cases import CaseError, add_item, close_case, open_case, reopen_case

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_closed_case_takes_nothing_more_and_adding_twice_changes_nothing() -> None:
    case = open_case(title="Volkov cash booking", legal_basis="eu-pnr-art6-2b", opened_from="entity",
                     origin_id="passenger-1", owner="ana", owner_key_id="k1", now=NOW, alerts=[], entities=["p-1"])
    assert case.id.startswith("2026-") and case.state == "open"
    once = add_item(case, "entity", "company-2", by="ana", now=NOW)
    assert add_item(once, "entity", "company-2", by="ana", now=NOW) == once
    closed = close_case(once, by="ana", now=NOW, note="referred")
    assert closed.state == "closed" and closed.notes[-1].text == "referred"
    with pytest.raises(CaseError, match="closed case"):
        add_item(closed, "alert", "passenger:p-1", by="ana", now=NOW)
    assert reopen_case(closed, by="root", now=NOW).state == "open"


def test_cases_through_the_api() -> None:
    settings = get_settings()
    keys = MemoryKeyStore()
    store = sample_store(settings, day=date(2026, 11, 25))
    app = create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), settings)
    app.state.list_entries = ListEntries(settings, [WatchlistEntry(
        entry_id="9345", list_name="OFAC SDN", schema="Company",
        names=("KOREA MINING DEVELOPMENT TRADING CORPORATION", "KOMID"))])
    client = TestClient(app)
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}
    other_analyst = {"Authorization": f"Bearer {create_key(keys, Role.ANALYST, 'second-analyst')}"}

    volkov = next(a for a in client.get("/api/alerts", headers=auth[Role.ANALYST]).json()
                  if a["label"] == "DMITRI VOLKOV")
    body = {"title": "Volkov: cash booking paid by a listed company", "legal_basis": "eu-pnr-art6-2b",
            "opened_from": "alert", "ref": volkov["key"]}
    assert client.post("/api/cases", json=body, headers=auth[Role.ENFORCEMENT]).status_code == 403
    assert client.post("/api/cases", json={**body, "legal_basis": "curiosity"},
                       headers=auth[Role.ANALYST]).status_code == 422
    assert client.post("/api/cases", json={**body, "ref": "passenger:nobody"},
                       headers=auth[Role.ANALYST]).status_code == 404
    case = client.post("/api/cases", json=body, headers=auth[Role.ANALYST]).json()
    cid = case["id"]
    assert case["alerts"] == [volkov["key"]] and case["entities"] == [volkov["record_id"]]
    assert case["owner"] == "analyst-user" and case["state"] == "open"

    # Gather: the booking with the screening hit, its decision, a web finding and a note.
    booking = next(i for i, d in store.documents.items() if d.get("screening"))
    decided = client.post("/api/screening/decisions", headers=auth[Role.ANALYST], json={
        "record_id": booking, "entry_id": "9345", "verdict": "confirm", "note": "same KOMID"}).json()
    items = [{"kind": "entity", "ref": booking}, {"kind": "decision", "ref": decided["decision"]["id"]},
             {"kind": "evidence", "ref": "https://fixture.sekisho.test/market", "label": "marketplace listing"}]
    for item in items:
        assert client.post(f"/api/cases/{cid}/items", json=item, headers=auth[Role.ANALYST]).status_code == 200
    assert client.post(f"/api/cases/{cid}/items", json={"kind": "entity", "ref": "party-none"},
                       headers=auth[Role.ANALYST]).status_code == 404
    noted = client.post(f"/api/cases/{cid}/notes", json={"text": "payer on the SDN list"},
                        headers=auth[Role.CT_UNIT]).json()
    hostile = "<script>alert(1)</script>"
    client.post(f"/api/cases/{cid}/notes", json={"text": hostile}, headers=auth[Role.ANALYST])
    assert noted["entities"] == [volkov["record_id"], booking] and noted["notes"][0]["author"] == "ct_unit-user"

    # Another analyst does not see it; the CT unit reads but does not close; only an administrator reopens.
    assert client.get(f"/api/cases/{cid}", headers=other_analyst).status_code == 404
    assert client.get("/api/cases", headers=other_analyst).json() == []
    assert [c["id"] for c in client.get("/api/cases", headers=auth[Role.CT_UNIT]).json()] == [cid]
    assert client.post(f"/api/cases/{cid}/close", headers=auth[Role.CT_UNIT]).status_code == 403

    exported = client.get(f"/api/cases/{cid}/export", headers=auth[Role.CT_UNIT])
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    entities = [json.loads(line) for line in exported.text.splitlines()]
    proxies = [model.get_proxy(e) for e in entities]  # raises on anything that is not valid FtM
    by_schema = {p.schema.name for p in proxies}
    assert {"Project", "Person", "Company", "UnknownLink", "Note", "Document", "Documentation"} <= by_schema
    ids = {p.id for p in proxies}
    for link in (p for p in proxies if p.schema.name == "UnknownLink"):
        assert set(link.get("subject")) | set(link.get("object")) <= ids  # no dangling edge
    person = next(p for p in proxies if p.schema.name == "Person" and "DMITRI VOLKOV" in p.get("name"))
    assert person.id == volkov["record_id"]
    notes = [p for p in proxies if p.schema.name == "Note"]
    assert any(volkov["record_id"] in n.get("entity") and volkov["title"] in n.get("name") for n in notes)
    assert any(n.get("name")[0].startswith("screening confirm:") for n in notes)

    report = client.get(f"/api/cases/{cid}/report", headers=auth[Role.ANALYST])
    page = report.text
    assert report.headers["content-type"].startswith("text/html")
    assert "script-src" not in report.headers["content-security-policy"] and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # what analysts type is shown, never run
    assert page.count("<svg") == 1 and 'class="edge on-path"' in page and 'class="node centre"' in page
    assert f"X-Sekisho-Purpose: case:{cid}" in page and "eu-pnr-art6-2b" in page
    assert "DMITRI VOLKOV" in page and "payer on the SDN list" in page and "marketplace listing" in page
    for reason in volkov["reasons"]:
        assert reason.replace("'", "&#x27;").replace(">", "&gt;") in page
    # One node per entity: the booking's record and its locator, the flight leg and its flight are one each.
    drawn = re.findall(r'<circle [^>]*data-label="([^"]*)" data-kind="([^"]*)"', page)
    labels = Counter(label for label, kind in drawn if kind != "watchlist_entry")
    assert labels and max(labels.values()) == 1, labels
    assert page.count('data-kind="booking"') == 1
    assert not [p for p in proxies if p.schema.name == "UnknownLink" and p.get("role") == ["same as"]]

    # The case is the purpose PNR access cites: under its own legal basis, while open.
    def under(basis: str) -> dict[str, str]:
        return {**auth[Role.ENFORCEMENT], "X-Sekisho-Purpose": f"case:{cid}", "X-Sekisho-Legal-Basis": basis}

    assert client.get("/api/queue", params={"port": "NRT"}, headers=under("eu-pnr-art6-2b")).status_code == 200
    wrong = client.get("/api/queue", params={"port": "NRT"}, headers=under("eu-pnr-art6-2a"))
    assert wrong.status_code == 400 and "opened under eu-pnr-art6-2b" in wrong.json()["detail"]

    closed = client.post(f"/api/cases/{cid}/close", json={"note": "referred to prosecution"},
                         headers=auth[Role.ANALYST]).json()
    assert closed["state"] == "closed" and closed["closed_by"] == "analyst-user"
    assert client.post(f"/api/cases/{cid}/notes", json={"text": "late"}, headers=auth[Role.ANALYST]).status_code == 409
    assert client.get("/api/queue", params={"port": "NRT"}, headers=under("eu-pnr-art6-2b")).status_code == 400
    assert client.post(f"/api/cases/{cid}/reopen", headers=auth[Role.ANALYST]).status_code == 403
    assert client.post(f"/api/cases/{cid}/reopen", headers=auth[Role.ADMIN]).json()["state"] == "open"

    # Opened from a queue pick or an entity the same way.
    from_pick = client.post("/api/cases", headers=auth[Role.CT_UNIT], json={
        "title": "pick of the day", "legal_basis": "eu-pnr-art6-2a", "opened_from": "pick", "ref": booking}).json()
    assert from_pick["entities"] == [booking] and from_pick["alerts"] == []

    actions = [(e.action, e.params.get("purpose"), e.params.get("legal_basis")) for e in store.audit_log
               if e.action.startswith("case.") and e.action != "case.refused"]
    assert [a for a, _, _ in actions] == ["case.open", "case.add", "case.add", "case.add", "case.note", "case.note",
                                           "case.export", "case.export", "case.close", "case.reopen", "case.open"]
    assert all(p == f"case:{cid}" and b == "eu-pnr-art6-2b" for _, p, b in actions[:-1])
    refused = [(e.action, e.params.get("action"), e.params.get("status")) for e in store.audit_log
               if e.action in ("auth.forbidden", "case.refused") and "/cases" in e.path]
    assert refused == [("auth.forbidden", None, None), ("case.refused", "read", "404"),
                       ("case.refused", "close", "403"), ("auth.forbidden", None, None)]
