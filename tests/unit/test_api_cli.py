"""`sekisho serve` key administration: create (shown once, stored hashed), list, revoke, bad role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sekisho.cli import app
from sekisho.settings import get_settings
from targeting.api.keys import FileKeyStore, KeyVerifier


@pytest.fixture
def keys_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("SEKISHO_API_KEYS_FILE", str(path))
    # no Elasticsearch here: key changes are reported as not audited (tests/integration/test_audit_es.py audits)
    monkeypatch.setenv("SEKISHO_ES_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_create_list_and_revoke_keys(keys_file: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["serve", "--create-key", "ct_unit", "--name", "desk 4"])
    assert created.exit_code == 0, created.output
    assert "key.create not audited" in created.output
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith("sk_") and plain not in keys_file.read_text()
    principal = KeyVerifier(FileKeyStore(keys_file)).verify(plain)
    assert principal is not None and principal.role.value == "ct_unit" and principal.name == "desk 4"

    key_id = json.loads(keys_file.read_text())[0]["key_id"]
    listed = runner.invoke(app, ["serve", "--list-keys"])
    assert key_id in listed.output and "active" in listed.output
    assert runner.invoke(app, ["serve", "--revoke-key", key_id]).exit_code == 0
    assert KeyVerifier(FileKeyStore(keys_file)).verify(plain) is None
    assert runner.invoke(app, ["serve", "--revoke-key", "nosuch"]).exit_code == 2


def test_unknown_role_is_refused(keys_file: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--create-key", "boss"])
    assert result.exit_code == 2 and "analyst" in result.output
    assert not keys_file.exists()
