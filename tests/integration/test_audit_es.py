"""The audit chain on the real Elasticsearch: `sekisho audit verify` passes, then catches edits and deletions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from schemas.indexed import AUDIT_TYPE
from sekisho import es_io
from sekisho.settings import Settings, get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.es_store import EsStore
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.roles import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def audited(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home: Path = tmp_path_factory.mktemp("audit-home")
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}aud", "home": home})
    keys = MemoryKeyStore()
    app = create_app(EsStore(settings), keys, MemoryRawSink(), MemorySubscriptions(), settings,
                     audit_anchor=settings.audit_anchor_file())
    analyst = {"Authorization": f"Bearer {create_key(keys, Role.ANALYST, 'a')}"}
    admin = {"Authorization": f"Bearer {create_key(keys, Role.ADMIN, 'root')}"}
    with TestClient(app) as client:
        for query in ("volkov", "chen", "acme", "pacific"):
            client.get("/api/search", params={"q": query}, headers=analyst)
        assert client.get("/api/audit", headers=analyst).status_code == 403
        assert client.post("/api/keys", json={"role": "carrier", "name": "JL"}, headers=admin).status_code == 201
    es_io.refresh(settings)
    yield settings
    es_io.delete_namespace(settings)


def verify(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, object]]:
    from sekisho.cli import app

    monkeypatch.setenv("SEKISHO_NAMESPACE", settings.namespace)
    monkeypatch.setenv("SEKISHO_HOME", str(settings.home))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    finally:
        get_settings.cache_clear()
    return result.exit_code, json.loads(result.stdout)


def entries(settings: Settings) -> list[dict[str, object]]:
    return sorted(es_io.scan(AUDIT_TYPE, None, settings), key=lambda e: int(str(e["seq"])))


def test_an_untouched_trail_verifies(audited: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = verify(audited, monkeypatch)
    assert (code, report["intact"], report["entries"]) == (0, True, 6)
    assert {e["action"] for e in entries(audited)} == {"search", "auth.forbidden", "key.create"}


def test_an_entry_edited_in_elasticsearch_is_detected(audited: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = entries(audited)[0]
    es_io.client(audited).update(index=es_io.alias_name(AUDIT_TYPE, audited), id=str(first["id"]),
                                 body={"doc": {"params": {"q": "nobody"}}}, refresh=True)
    code, report = verify(audited, monkeypatch)
    assert code == 1 and any("changed" in str(p) for p in report["problems"])  # type: ignore[attr-defined]


def test_an_entry_deleted_in_elasticsearch_is_detected(audited: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    newest = entries(audited)[-1]
    es_io.delete_by_query(AUDIT_TYPE, {"ids": {"values": [newest["id"]]}}, audited)
    code, report = verify(audited, monkeypatch)
    assert code == 1 and any("missing" in str(p) for p in report["problems"])  # type: ignore[attr-defined]


def test_accesses_naming_a_traveller_are_found_for_the_subject_report(audited: Settings) -> None:
    store = EsStore(audited)
    found = store.audit_mentioning(["chen"])  # (the "volkov" search was edited by a test above)
    assert [(e.action, e.params["q"]) for e in found] == [("search", "chen")]
    assert store.alerts_about(["passenger-none"]) == []


def test_keys_created_on_the_command_line_are_audited(audited: Settings, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from sekisho.cli import app

    monkeypatch.setenv("SEKISHO_NAMESPACE", audited.namespace)
    monkeypatch.setenv("SEKISHO_HOME", str(audited.home))
    monkeypatch.setenv("SEKISHO_API_KEYS_FILE", str(tmp_path / "keys.json"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--create-key", "approver", "--name", "duty officer"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    es_io.refresh(audited)
    newest = entries(audited)[-1]
    assert (newest["action"], newest["path"]) == ("key.create", "cli:sekisho serve")
    assert newest["params"]["new_role"] == "approver"  # type: ignore[index]
    assert result.output.strip().splitlines()[-1] not in json.dumps(newest)
