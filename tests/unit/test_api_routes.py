"""The API over the planted scenario: search, entity card and paths, queue, inspections, alerts, audit."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store

DAY = date(2026, 11, 25)


def setup() -> tuple[TestClient, MemoryStore, dict[Role, dict[str, str]]]:
    keys = MemoryKeyStore()
    store = sample_store(get_settings(), day=DAY)
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    auth = {
        role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role
    }
    return client, store, auth


CLIENT, STORE, AUTH = setup()


def entity_id(query: str, kind: str) -> str:
    hits = CLIENT.get("/api/search", params={"q": query, "kind": kind}, headers=AUTH[Role.ANALYST]).json()
    assert hits, f"no {kind} for {query!r}"
    return str(hits[0]["id"])


def test_search_finds_the_planted_traveller_and_is_audited() -> None:
    before = len(STORE.audit_log)
    response = CLIENT.get("/api/search", params={"q": "volkov"}, headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["label"] == "DMITRI VOLKOV" and hits[0]["kind"] == "passenger"
    assert hits[0]["risk"] > 0.5
    event = STORE.audit_log[before]
    assert (event.action, event.role, event.params["q"], event.result_count) == (
        "search",
        "analyst",
        "volkov",
        len(hits),
    )


def test_entity_card_shows_the_path_to_the_sdn_entry() -> None:
    consignee = entity_id("pacific rim", "party")
    response = CLIENT.get(f"/api/entities/{consignee}", headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    card = response.json()
    assert card["label"] == "PACIFIC RIM PRECISION MACHINERY LTD"
    assert card["document"]["record_type"] == "party"
    graph = card["graph"]
    node_ids = {n["id"] for n in graph["nodes"]}
    edge_ids = {e["id"] for e in graph["edges"]}
    best = graph["paths"][0]
    assert set(best["nodes"]) <= node_ids and set(best["edges"]) <= edge_ids  # drawable and highlightable
    target = next(n for n in graph["nodes"] if n["id"] == best["target"])
    assert target["watchlisted"] and target["list_name"] == "OFAC SDN"
    assert "shares a phone" in best["explanation"] and "DMITRI VOLKOV" in best["explanation"]
    assert (
        STORE.audit_log[-1].action == "entity.view" and STORE.audit_log[-1].params["entity_id"] == consignee
    )


def test_paths_route_and_unknown_entity() -> None:
    volkov = entity_id("volkov", "passenger")
    paths = CLIENT.get(f"/api/entities/{volkov}/paths", headers=AUTH[Role.CT_UNIT]).json()
    assert paths and "OFAC SDN" in paths[0]["explanation"]
    assert CLIENT.get("/api/entities/passenger-nothere", headers=AUTH[Role.ANALYST]).status_code == 404


def test_queue_of_the_day_puts_planted_records_on_top() -> None:
    ports = CLIENT.get("/api/queue/ports", params={"day": DAY.isoformat()}, headers=AUTH[Role.ENFORCEMENT])
    assert "NRT" in ports.json()
    queue = CLIENT.get(
        "/api/queue", params={"port": "nrt", "day": DAY.isoformat()}, headers=AUTH[Role.ENFORCEMENT]
    ).json()
    assert queue["port"] == "NRT" and queue["candidates"] == 3
    picks = queue["picks"]
    assert [p["rank"] for p in picks] == list(range(1, len(picks) + 1))
    model_picks = [p for p in picks if p["selection"] == "model"]
    assert model_picks[0]["label"] in {"DMITRI VOLKOV", "WEI CHEN", "consignment 160-12345675"}
    volkov = next(p for p in picks if p["label"] == "DMITRI VOLKOV")
    assert any("OFAC SDN" in line for line in volkov["explanation"])
    assert STORE.audit_log[-1].action == "queue.view"
    empty = CLIENT.get(
        "/api/queue", params={"port": "NRT", "day": "2020-01-01"}, headers=AUTH[Role.ENFORCEMENT]
    )
    assert empty.json()["picks"] == []


def test_inspection_result_is_recorded_with_the_officer() -> None:
    consignment = entity_id("160-12345675", "consignment")
    body = {"record_id": consignment, "port": "NRT", "outcome": "seizure", "seized_goods": "CNC spindles"}
    response = CLIENT.post("/api/inspections", json=body, headers=AUTH[Role.ENFORCEMENT])
    assert response.status_code == 201
    saved = response.json()
    assert saved["officer"] == "enforcement-user" and saved["outcome"] == "seizure"
    assert saved["record_type"] == "consignment" and saved["id"].startswith("inspection_result-")
    listed = CLIENT.get("/api/inspections", params={"record_id": consignment}, headers=AUTH[Role.ANALYST])
    assert [r["id"] for r in listed.json()] == [saved["id"]]
    wrong = {**body, "outcome": "found gold"}
    assert CLIENT.post("/api/inspections", json=wrong, headers=AUTH[Role.ENFORCEMENT]).status_code == 422
    unknown = {**body, "record_id": "consignment-nothere"}
    assert CLIENT.post("/api/inspections", json=unknown, headers=AUTH[Role.ENFORCEMENT]).status_code == 404


def test_alerts_and_subscriptions() -> None:
    alerts = CLIENT.get("/api/alerts", headers=AUTH[Role.CT_UNIT]).json()
    assert alerts and {a["label"] for a in alerts} >= {"DMITRI VOLKOV"}
    assert all(a["explanation"] and a["reasons"] for a in alerts)
    created = CLIENT.post(
        "/api/subscriptions",
        json={"url": "https://ct.example/hook", "min_score": 0.5},
        headers=AUTH[Role.CT_UNIT],
    )
    assert created.status_code == 201
    sub = created.json()
    assert len(sub["secret"]) >= 32 and sub["name"] == "ct_unit-user"
    listed = CLIENT.get("/api/subscriptions", headers=AUTH[Role.CT_UNIT]).json()
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]  # shown once only
    bad = CLIENT.post("/api/subscriptions", json={"url": "ftp://x"}, headers=AUTH[Role.CT_UNIT])
    assert bad.status_code == 422
    assert CLIENT.delete(f"/api/subscriptions/{sub['id']}", headers=AUTH[Role.CT_UNIT]).status_code == 204
    assert CLIENT.delete(f"/api/subscriptions/{sub['id']}", headers=AUTH[Role.CT_UNIT]).status_code == 404


def test_audit_trail_is_readable_by_admin_only() -> None:
    CLIENT.get("/api/search", params={"q": "chen"}, headers=AUTH[Role.CT_UNIT])
    events = CLIENT.get("/api/audit", headers=AUTH[Role.ADMIN]).json()
    assert events[0]["action"] == "search" and events[0]["role"] == "ct_unit"
    assert CLIENT.get("/api/audit", headers=AUTH[Role.ANALYST]).status_code == 403


def test_page_and_assets_are_served_without_a_key() -> None:
    page = CLIENT.get("/")
    assert page.status_code == 200 and "Sekisho" in page.text and "http" not in page.text.split("<body>")[1]
    for asset in ("app.js", "graph.js", "app.css"):
        response = CLIENT.get(f"/page/{asset}")
        assert response.status_code == 200 and len(response.text) > 500
        assert "cdn" not in response.text.lower()


def test_day_summary_lists_the_top_of_the_queue_and_alerts() -> None:
    from sekisho.settings import get_settings
    from targeting.api.targets import day_summary
    from targeting.rules import RuleBook

    settings = get_settings()
    lines = day_summary(STORE, RuleBook(settings.targeting_rules_dir).current(), settings, DAY, top=3)
    text = "\n".join(lines)
    assert lines[0].startswith("queue NRT 2026-11-25: 3 picks from 3 arrivals")
    assert "DMITRI VOLKOV" in text and "OFAC SDN" in text and "latest alerts:" in text


def test_queue_lanes_report_unused_capacity_hit_rates_and_the_busiest_port_first() -> None:
    work = CLIENT.get("/api/queue/workload", params={"day": DAY.isoformat()}, headers=AUTH[Role.ANALYST]).json()
    assert work[0]["port"] == "NRT" and work[0]["pending"] >= 1
    assert [w["pending"] for w in work] == sorted((w["pending"] for w in work), reverse=True)
    consignment = entity_id("160-12345675", "consignment")
    body = {"record_id": consignment, "port": "NRT", "outcome": "seizure", "selection": "model", "inspection": "exam"}
    assert CLIENT.post("/api/inspections", json=body, headers=AUTH[Role.ENFORCEMENT]).status_code == 201
    queue = CLIENT.get("/api/queue", params={"port": "NRT", "day": DAY.isoformat()},
                       headers=AUTH[Role.ENFORCEMENT]).json()
    exam, xray = queue["lanes"]
    assert exam["inspection"] == "exam" and exam["hit_rate"] == 1.0 and exam["inspected"] >= 1
    assert all(lane["unused"] == lane["capacity"] - lane["model_picks"] - lane["random_picks"]
               for lane in queue["lanes"])
    assert all(p["score"] >= queue["min_score"][p["inspection"]] for p in queue["picks"] if p["selection"] == "model")
    assert xray["unused"] > 0  # the sample has fewer risky arrivals than X-ray slots: nothing pads them
