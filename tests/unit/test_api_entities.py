"""Canonical entities in the API: one search hit per traveller, members one click away, judgements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from graph.links import links_of
from schemas.documents import Alert
from schemas.records import Passenger
from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app, export
from targeting.api.entities import latest_per_target, one_hit_per_entity
from targeting.api.export import risky_node_view
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store
from targeting.api.views import WatchlistFilter

DAY = date(2026, 11, 25)


def setup() -> tuple[TestClient, MemoryStore, dict[Role, dict[str, str]], str, str]:
    keys = MemoryKeyStore()
    store = sample_store(get_settings(), day=DAY)
    api_record = next(
        record for record in store._records() if isinstance(record, Passenger) and record.surname == "VOLKOV"
    )
    # The same traveller as the PNR reports him: another record, a transliterated name, no address.
    pnr_record = api_record.model_copy(
        update={"id": "passenger-pnr-volkov", "source_format": "pnrgov", "full_name": "VOLKOV DMITRIY",
                "given_names": "DMITRIY", "address": None}
    )
    store.add_records([pnr_record])
    store.graph.add(*links_of(pnr_record))
    client = TestClient(create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings()))
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value + '-user')}"} for role in Role}
    return client, store, auth, api_record.id, pnr_record.id


CLIENT, STORE, AUTH, API_ID, PNR_ID = setup()


def volkov_hits() -> list[dict[str, object]]:
    response = CLIENT.get("/api/search", params={"q": "volkov", "kind": "passenger"}, headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    return list(response.json())


def test_one_traveller_one_hit_and_members_one_click_away() -> None:
    hits = volkov_hits()
    assert len(hits) == 1 and hits[0]["members"] == 2
    entity = min(API_ID, PNR_ID)
    assert hits[0]["entity_id"] == entity
    response = CLIENT.get(f"/api/entities/{hits[0]['id']}/members", headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    found = response.json()
    assert found["entity_id"] == entity and found["kind"] == "traveller"
    assert sorted(m["record_id"] for m in found["members"]) == sorted([API_ID, PNR_ID])
    assert any("same passport 753912468 RU and date of birth 1979-03-14" in why
               for m in found["members"] for why in m["reasons"])


def test_the_graph_draws_one_node_per_entity_and_the_records_on_request() -> None:
    entity, other = min(API_ID, PNR_ID), max(API_ID, PNR_ID)
    response = CLIENT.get(f"/api/entities/{other}", headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    graph = response.json()["graph"]
    ids = {n["id"] for n in graph["nodes"]}
    assert entity in ids and other not in ids and graph["center"] == entity
    volkov = next(n for n in graph["nodes"] if n["id"] == entity)
    assert volkov["members"] == [entity, other]
    assert not [e for e in graph["edges"] if e["relation"] == "same_as" or other in (e["source"], e["target"])]
    assert not [n for n in graph["nodes"] if n["entity"]]  # the flight leg record folds into its flight too
    pairs = [(e["relation"], e["source"], e["target"]) for e in graph["edges"]]
    assert len(pairs) == len(set(pairs))
    edge_ids = {e["id"] for e in graph["edges"]}
    assert graph["paths"], "the sample's listed payer is within reach"
    for path in graph["paths"]:
        assert set(path["nodes"]) <= ids and set(path["edges"]) <= edge_ids and other not in path["nodes"]

    raw = CLIENT.get(f"/api/entities/{other}", params={"members": 1}, headers=AUTH[Role.ANALYST]).json()["graph"]
    by_id = {n["id"]: n for n in raw["nodes"]}
    assert {entity, other} <= set(by_id) and by_id[other]["entity"] == entity
    assert any(e["relation"] == "same_as" and (e["source"], e["target"]) == (other, entity) for e in raw["edges"])
    assert len(raw["nodes"]) > len(graph["nodes"])

    paths = CLIENT.get(f"/api/entities/{other}/paths", headers=AUTH[Role.ANALYST]).json()
    assert paths and all(other not in p["nodes"] for p in paths)
    assert [p["explanation"] for p in paths] == [p["explanation"] for p in graph["paths"]]


def test_judgements_split_and_rejoin_and_are_audited() -> None:
    body = {"left": PNR_ID, "right": API_ID, "verdict": "reject", "note": "two people"}
    assert CLIENT.post("/api/resolution/judgements", json=body, headers=AUTH[Role.ENFORCEMENT]).status_code == 403
    response = CLIENT.post("/api/resolution/judgements", json=body, headers=AUTH[Role.ANALYST])
    assert response.status_code == 200
    entity = response.json()
    assert [m["record_id"] for m in entity["members"]] == [PNR_ID]
    assert entity["judgements"][0]["verdict"] == "reject" and entity["judgements"][0]["note"] == "two people"
    event = STORE.audit_log[-1]
    assert event.action == "resolution.reject" and event.params["left"] == min(API_ID, PNR_ID)
    assert len(volkov_hits()) == 2

    body["verdict"] = "confirm"
    response = CLIENT.post("/api/resolution/judgements", json=body, headers=AUTH[Role.ANALYST])
    assert len(response.json()["members"]) == 2 and len(volkov_hits()) == 1
    unknown = {"left": PNR_ID, "right": "passenger-nobody", "verdict": "reject"}
    assert CLIENT.post("/api/resolution/judgements", json=unknown, headers=AUTH[Role.ANALYST]).status_code == 404


def test_an_alert_raised_again_replaces_the_earlier_one_in_the_list() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def alert(key: str, minutes: int, score: float) -> Alert:
        return Alert(id=f"alert-{key}-{minutes}", key=key, record_id="r", record_type="consignment", label="x",
                     score=score, severity="high", title="t", created_at=now + timedelta(minutes=minutes))

    alerts = [alert("consignment:a", 0, 0.57), alert("consignment:a", 5, 0.89), alert("consignment:b", 1, 0.8)]
    assert [(a.key, a.score) for a in latest_per_target(alerts)] == [("consignment:a", 0.89), ("consignment:b", 0.8)]


def test_search_hits_fold_with_one_entity_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    looked_up = STORE.entities_of

    def counted(record_ids: Sequence[str]) -> dict[str, str]:
        calls.append(list(record_ids))
        return looked_up(record_ids)

    def one_by_one(record_id: str) -> str | None:
        raise AssertionError(f"search looked up the entity of {record_id} on its own")

    monkeypatch.setattr(STORE, "entities_of", counted)
    monkeypatch.setattr(STORE, "entity_of", one_by_one)
    hits = STORE.search("volkov", ["passenger"], 20)
    folded = one_hit_per_entity(STORE, hits)
    assert len(calls) == 1 and sorted(calls[0]) == sorted(hit.id for hit in hits)
    assert len(folded) == 1 and folded[0].members == 2


def test_watchlist_export_lists_one_traveller_once() -> None:
    # The API and PNR records of one traveller, both found risky by the graph: one row, not two.
    nodes = {node.id: node for node in STORE.nodes([API_ID, PNR_ID])}
    risky = [nodes[API_ID].model_copy(update={"graph_risk": 0.4}),
             nodes[PNR_ID].model_copy(update={"graph_risk": 0.7})]
    STORE.graph.replace_nodes(risky)
    STORE.watchlist_entries[:] = [e for e in STORE.watchlist_entries if e.id not in (API_ID, PNR_ID)]
    STORE.watchlist_entries.extend(risky_node_view(node) for node in risky)
    rows = [row for row in export.entries(STORE, WatchlistFilter(), None, None) if row.id in (API_ID, PNR_ID)]
    first, other = sorted(risky, key=lambda node: node.id)
    assert [row.id for row in rows] == [first.id]
    assert rows[0].risk == 0.7 and rows[0].aliases == ([other.label] if other.label != first.label else [])
    response = CLIENT.get("/api/watchlist/export", params={"format": "csv", "limit": 1000},
                          headers=AUTH[Role.ENFORCEMENT])
    assert response.status_code == 200
    exported = [line.split(",")[0] for line in response.text.splitlines()[1:]]
    assert exported.count(first.id) == 1 and other.id not in exported
