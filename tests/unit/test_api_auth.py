"""Authentication and roles: each route admits its roles only, refusing the others and anonymous callers."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sekisho.settings import get_settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.app import route_roles
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import FileKeyStore, KeyVerifier, MemoryKeyStore, create_key, revoke, split_key
from targeting.api.roles import Role
from targeting.api.sample_data import sample_store


def build() -> tuple[TestClient, dict[Role, str]]:
    keys = MemoryKeyStore()
    app = create_app(sample_store(get_settings()), keys, MemoryRawSink(), MemorySubscriptions(), get_settings())
    plain = {role: create_key(keys, role, f"test-{role.value}") for role in Role}
    return TestClient(app), plain


CLIENT, KEYS = build()


ROUTES = route_roles()


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "auto" if m.group(0) == "{fmt}" else "x-1", path)


def call(method: str, path: str, key: str | None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    response = CLIENT.request(method, concrete(path), headers=headers, content=body)
    return response.status_code


def test_every_non_public_route_has_a_role_gate() -> None:
    assert len(ROUTES) >= 15
    for method, path, roles in ROUTES:
        assert roles, f"{method} {path} has no RoleGate"


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in ROUTES if r[2]], ids=lambda v: str(v))
def test_route_refuses_anonymous_and_bad_keys(method: str, path: str, roles: frozenset[Role]) -> None:
    assert call(method, path, None) == 401
    assert call(method, path, "sk_nothere_secret") == 401
    forged = KEYS[next(iter(roles))].rsplit("_", 1)[0] + "_wrongsecret"
    assert call(method, path, forged) == 401


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in ROUTES if r[2]], ids=lambda v: str(v))
def test_route_admits_exactly_its_roles(method: str, path: str, roles: frozenset[Role]) -> None:
    for role in Role:
        status = call(method, path, KEYS[role])
        if role in roles:
            assert status not in (401, 403), f"{role} refused on {method} {path}"
        else:
            assert status == 403, f"{role} admitted on {method} {path} ({status})"


def test_expected_role_policy() -> None:
    table = {(m, p): r for m, p, r in ROUTES}
    assert table[("GET", "/api/watchlist/export")] == {Role.ENFORCEMENT, Role.ADMIN}
    assert table[("POST", "/api/inspections")] == {Role.ENFORCEMENT, Role.ADMIN}
    assert table[("POST", "/api/subscriptions")] == {Role.CT_UNIT, Role.ADMIN}
    assert table[("POST", "/ingest/{fmt}")] == {Role.CARRIER, Role.ADMIN}
    assert table[("POST", "/api/keys")] == {Role.ADMIN}
    assert Role.CARRIER not in table[("GET", "/api/search")]


def test_openapi_is_published_with_roles() -> None:
    spec = CLIENT.get("/openapi.json").json()
    assert spec["paths"]["/api/search"]["get"]["x-roles"] == ["admin", "analyst", "ct_unit"]
    assert "/ingest/{fmt}" in spec["paths"]


def test_x_api_key_header_works_too() -> None:
    response = CLIENT.get("/api/me", headers={"X-API-Key": KEYS[Role.ANALYST]})
    assert response.status_code == 200
    assert response.json()["role"] == "analyst"


def test_keys_file_holds_only_salted_hashes(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store = FileKeyStore(path)
    first = create_key(store, Role.ANALYST, "alice")
    second = create_key(store, Role.ANALYST, "bob")
    text = path.read_text()
    for plain in (first, second):
        key_id, secret = split_key(plain) or ("", "")
        assert key_id in text and secret not in text
    rows = json.loads(text)
    assert rows[0]["salt_hex"] != rows[1]["salt_hex"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    verifier = KeyVerifier(FileKeyStore(path))  # a fresh process sees the file
    principal = verifier.verify(first)
    assert principal is not None and principal.role is Role.ANALYST and principal.name == "alice"
    assert verifier.verify(first[:-1] + ("A" if first[-1] != "A" else "B")) is None
    assert verifier.verify("not-a-key") is None


def test_key_created_by_admin_route_works() -> None:
    response = CLIENT.post(
        "/api/keys",
        json={"role": "ct_unit", "name": "desk-7"},
        headers={"Authorization": f"Bearer {KEYS[Role.ADMIN]}"},
    )
    assert response.status_code == 201
    key = response.json()["key"]
    assert CLIENT.get("/api/alerts", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert CLIENT.get("/api/watchlist/export", headers={"Authorization": f"Bearer {key}"}).status_code == 403


def test_revoked_key_is_refused_at_once() -> None:
    keys = MemoryKeyStore()
    settings = get_settings()
    client = TestClient(create_app(sample_store(settings), keys, MemoryRawSink(), MemorySubscriptions(), settings))
    plain = create_key(keys, Role.ANALYST, "leaver")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/me", headers=headers).status_code == 200  # now cached as verified
    key_id = (split_key(plain) or ("", ""))[0]
    assert revoke(keys, key_id) and not revoke(keys, "nosuchkey")
    assert client.get("/api/me", headers=headers).status_code == 401


def test_page_forbids_loading_anything_from_elsewhere() -> None:
    policy = CLIENT.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
