"""Tamper-evident audit: chained entries, anchored head, refusals and key creation audited, no audit writes."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from fastapi.testclient import TestClient

from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.app import route_roles
from targeting.api.audit import AuditTrail, read_anchor, verify_chain
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store


def build(anchor: Path) -> tuple[TestClient, MemoryStore, dict[Role, dict[str, str]]]:
    keys = MemoryKeyStore()
    store = sample_store(get_settings())
    app = create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), get_settings(), audit_anchor=anchor)
    auth = {role: {"Authorization": f"Bearer {create_key(keys, role, role.value)}"} for role in Role}
    return TestClient(app), store, auth


def activity(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    for query in ("volkov", "chen", "pacific"):
        assert client.get("/api/search", params={"q": query}, headers=auth[Role.ANALYST]).status_code == 200
    assert client.get("/api/audit", headers=auth[Role.ANALYST]).status_code == 403
    assert client.get("/api/audit", headers={"Authorization": "Bearer sk_abcdef123456_nope"}).status_code == 401
    assert client.get("/api/audit").status_code == 401


def test_entries_are_chained_and_anchored(tmp_path: Path) -> None:
    client, store, auth = build(tmp_path / "head.json")
    activity(client, auth)
    log = store.audit_log
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(log))
    anchor = read_anchor(tmp_path / "head.json")
    assert anchor is not None and (anchor.seq, anchor.hash) == (log[-1].seq, log[-1].hash)
    assert verify_chain(log, anchor).intact


def test_an_edited_deleted_or_forged_entry_is_detected(tmp_path: Path) -> None:
    """Regression: an entry edited or deleted directly in Elasticsearch left no trace."""
    client, store, auth = build(tmp_path / "head.json")
    activity(client, auth)
    log, anchor = list(store.audit_log), read_anchor(tmp_path / "head.json")
    edited = [*log[:2], log[2].model_copy(update={"params": {"q": "someone else"}}), *log[3:]]
    assert any("changed" in p for p in verify_chain(edited, anchor).problems)
    assert any("missing" in p for p in verify_chain(log[:2] + log[3:], anchor).problems)
    assert any("missing" in p for p in verify_chain(log[:-1], anchor).problems)  # the newest, deleted
    forged = log[-1].model_copy(update={"seq": log[-1].seq + 1, "prev_hash": log[-1].hash, "id": "audit-x"})
    assert not verify_chain([*log, forged], anchor).intact
    assert not verify_chain(log, None).intact  # without its anchor the trail cannot be trusted


def test_refusals_and_key_creation_are_audited_without_the_key(tmp_path: Path) -> None:
    client, store, auth = build(tmp_path / "head.json")
    activity(client, auth)
    actions = [(e.action, e.role, e.params.get("key_id")) for e in store.audit_log]
    assert ("auth.forbidden", "analyst", auth[Role.ANALYST]["Authorization"].split("_")[1]) in actions
    assert ("auth.denied", "-", "abcdef123456") in actions
    assert ("auth.missing", "-", None) in actions
    created = client.post("/api/keys", json={"role": "carrier", "name": "JL"}, headers=auth[Role.ADMIN])
    assert created.status_code == 201
    event = store.audit_log[-1]
    assert event.action == "key.create" and event.params["new_role"] == "carrier"
    assert created.json()["key"].split("_")[1] == event.params["new_key_id"]
    assert created.json()["key"] not in str(event.model_dump())


def test_no_route_writes_or_deletes_audit_entries() -> None:
    audit_routes = [(method, path, roles) for method, path, roles in route_roles() if "audit" in path]
    assert audit_routes == [("GET", "/api/audit", frozenset({Role.ADMIN}))]


def test_a_restarted_trail_continues_the_chain(tmp_path: Path) -> None:
    store = MemoryStore()
    first = AuditTrail(store, tmp_path / "head.json")
    first.record(None, "auth.missing", "/api/me", {})
    second = AuditTrail(store, tmp_path / "head.json")
    second.record(None, "auth.missing", "/api/me", {})
    assert verify_chain(store.audit_log, read_anchor(tmp_path / "head.json")).intact
