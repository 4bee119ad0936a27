"""The API on the real stack: search, cards, queue, export and audit on Elasticsearch; ingestion to Kafka."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sekisho import es_io, kafka_io
from sekisho.settings import Settings
from targeting.alerts import FileSubscriptions
from targeting.api import create_app
from targeting.api.es_store import EsStore
from targeting.api.ingest import KafkaRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.roles import Role
from tests.integration.conftest import PlantedApi

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(planted_api: PlantedApi) -> PlantedApi:
    return planted_api


def test_search_card_and_paths_from_elasticsearch(api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, auth = api
    hits = client.get("/api/search", params={"q": "PACIFIC RIM"}, headers=auth[Role.ANALYST]).json()
    party = next(h for h in hits if h["kind"] == "party")
    assert party["label"] == "PACIFIC RIM PRECISION MACHINERY LTD" and party["risk"] > 0.4
    card = client.get(f"/api/entities/{party['id']}", headers=auth[Role.ANALYST]).json()
    assert card["document"]["record_type"] == "party"
    best = card["graph"]["paths"][0]
    assert "shares a phone (+85291234567) with traveller DMITRI VOLKOV" in best["explanation"]
    assert best["explanation"].endswith("OFAC SDN (match 0.97)")
    by_phone = client.get("/api/search", params={"q": "+85291234567"}, headers=auth[Role.ANALYST]).json()
    assert any(h["kind"] == "phone" for h in by_phone)


def test_queue_alerts_and_inspection_on_elasticsearch(
    api: tuple[TestClient, dict[Role, dict[str, str]]], stack: Settings
) -> None:
    client, auth = api
    day = datetime.now(UTC).date().isoformat()
    assert "NRT" in client.get("/api/queue/ports", params={"day": day}, headers=auth[Role.ENFORCEMENT]).json()
    queue = client.get(
        "/api/queue", params={"port": "NRT", "day": day}, headers=auth[Role.ENFORCEMENT]
    ).json()
    labels = [p["label"] for p in queue["picks"]]
    assert "DMITRI VOLKOV" in labels and any("160-12345675" in label for label in labels)
    alerts = client.get("/api/alerts", headers=auth[Role.CT_UNIT]).json()
    assert any(a["label"] == "DMITRI VOLKOV" for a in alerts)
    consignment = next(p for p in queue["picks"] if p["record_type"] == "consignment")
    body = {
        "record_id": consignment["record_id"],
        "outcome": "seizure",
        "port": "NRT",
        "selection": consignment["selection"],
        "score": consignment["score"],
    }
    saved = client.post("/api/inspections", json=body, headers=auth[Role.ENFORCEMENT])
    assert saved.status_code == 201 and "x-sekisho-warnings" not in saved.headers
    listed = client.get(
        "/api/inspections", params={"record_id": consignment["record_id"]}, headers=auth[Role.ENFORCEMENT]
    ).json()
    assert [r["outcome"] for r in listed] == ["seizure"]
    node = es_io.get("graph_node", consignment["record_id"], stack)
    assert node is not None and node["seized"] is True  # the seizure now seeds graph risk


def test_watchlist_export_on_elasticsearch(
    api: tuple[TestClient, dict[Role, dict[str, str]]], stack: Settings
) -> None:
    client, auth = api
    graph_only = client.get(
        "/api/watchlist/export",
        params={"list": "sekisho-graph-risk", "format": "csv"},
        headers=auth[Role.ENFORCEMENT],
    )
    rows = list(csv.DictReader(io.StringIO(graph_only.text)))
    assert {"DMITRI VOLKOV", "PACIFIC RIM PRECISION MACHINERY LTD"} <= {r["name"] for r in rows}
    assert all(float(r["risk"]) >= 0.3 for r in rows)
    sdn = client.get(
        "/api/watchlist/export",
        params={"list": "OFAC SDN", "format": "ftm", "limit": 50},
        headers=auth[Role.ENFORCEMENT],
    )
    entities = [json.loads(line) for line in sdn.text.splitlines()]
    assert len(entities) == 50 and sdn.headers["x-next-after"] == entities[-1]["id"]
    nxt = client.get(
        "/api/watchlist/export",
        params={"list": "OFAC SDN", "format": "ftm", "limit": 50, "after": sdn.headers["x-next-after"]},
        headers=auth[Role.ENFORCEMENT],
    )
    assert {json.loads(line)["id"] for line in nxt.text.splitlines()}.isdisjoint({e["id"] for e in entities})
    assert client.get("/api/watchlist/export", headers=auth[Role.ANALYST]).status_code == 403
    es_io.refresh(stack)
    exports = es_io.search("api_audit", {"term": {"action": "export.watchlist"}}, stack, size=10)
    assert len(exports) >= 3 and {e["role"] for e in exports} == {"enforcement"}


def test_ingest_endpoint_puts_the_message_on_the_raw_topic(stack: Settings, tmp_path: Path) -> None:
    keys = MemoryKeyStore()
    sink = KafkaRawSink(stack)
    app = create_app(EsStore(stack), keys, sink, FileSubscriptions(tmp_path / "s.json"), stack)
    auth = {"Authorization": f"Bearer {create_key(keys, Role.CARRIER, 'CX')}"}
    payload = b"UNA:+.? 'UNB+UNOA:4+CX+JPCUSTOMS+261125:0900+" + tmp_path.name.encode() + b"'"
    try:
        with TestClient(app) as client:
            response = client.post("/ingest/auto", content=payload, headers=auth)
    finally:
        sink.close()
    assert response.status_code == 202
    message_id = hashlib.sha256(payload).hexdigest()
    assert response.json()["message_id"] == message_id
    found = [
        m
        for m in kafka_io.consume(stack.topic("raw"), settings=stack, idle_timeout_s=5)
        if m.key == message_id.encode()
    ]
    assert len(found) == 1
    assert (
        found[0].value == payload
        and found[0].headers["source"] == "api:CX"
        and found[0].headers["format"] == "auto"
    )


def test_counts_per_source_from_elasticsearch(
    api: tuple[TestClient, dict[Role, dict[str, str]]], stack: Settings
) -> None:
    from feeds import MessageContext, parse_message

    client, auth = api
    feeds = Path(__file__).resolve().parents[2] / "data" / "feeds" / "pnrgov"
    clean = (feeds / "2_pnrs_basic.edi").read_bytes()
    second_rci = clean.index(b"RCI+", clean.index(b"SRC", clean.index(b"SRC") + 3))
    damaged = clean[:second_rci] + clean[clean.index(b"'", second_rci) + 1 :].lstrip(b"\r\n")
    records = parse_message(damaged, MessageContext(source="it-source-report"))
    es_io.ensure_types({r.record_type for r in records}, stack)
    es_io.write_records(records, stack)
    es_io.refresh(stack)
    reports = client.get("/api/sources/report", params={"limit": 1000}, headers=auth[Role.ANALYST]).json()
    (report,) = [r for r in reports if r["source"] == "it-source-report"]
    assert report["records"] == {"booking": 1, "flight_leg": 2, "passenger": 2}
    assert report["dead_letters"] == {"pnrgov.no_record_locator": 1}
    assert report["warnings"] == {"edifact.count_mismatch": 1}
