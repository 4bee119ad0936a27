"""Robust ingest and answers: body deadline, per-key quota, 415, no-store, no Host reflection, key checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from sekisho.settings import Settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app, keys
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import KeyVerifier, MemoryKeyStore, create_key, split_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from tests.unit.test_api_ingest import PAXLST, BlockingSink


def app_with(sink: object, **settings: object) -> tuple[object, MemoryKeyStore]:
    store = MemoryKeyStore()
    return create_app(MemoryStore(), store, sink, MemorySubscriptions(), Settings(**settings)), store  # type: ignore[arg-type]


def bearer(store: MemoryKeyStore, role: Role, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(store, role, name)}"}


@pytest.mark.parametrize("media", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                   "text/html", "image/png"])
def test_a_wrong_content_type_gets_415(media: str) -> None:
    """Regression: /ingest answered 202 whatever the declared content type."""
    sink = MemoryRawSink()
    app, store = app_with(sink)
    client = TestClient(app)  # type: ignore[arg-type]
    response = client.post("/ingest/auto", content=PAXLST, headers={**bearer(store, Role.CARRIER, "JL"),
                                                                    "Content-Type": media})
    assert response.status_code == 415 and sink.messages == []


@pytest.mark.parametrize("media", [None, "application/EDIFACT", "application/octet-stream", "text/plain; charset=x"])
def test_carrier_content_types_are_accepted(media: str | None) -> None:
    app, store = app_with(MemoryRawSink())
    headers = bearer(store, Role.CARRIER, "JL") | ({"Content-Type": media} if media else {})
    assert TestClient(app).post("/ingest/auto", content=PAXLST, headers=headers).status_code == 202  # type: ignore[arg-type]


@pytest.mark.timeout(60)
def test_a_trickling_body_gets_408_and_frees_its_slot() -> None:
    """Regression: a sender trickling a byte every few seconds held an ingest slot indefinitely."""
    sink = MemoryRawSink()
    app, store = app_with(sink, api_body_timeout_s=0.3, api_max_inflight=1)
    auth = bearer(store, Role.CARRIER, "JL")

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"U"
            await asyncio.sleep(0.1)

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            slow = await client.post("/ingest/auto", content=trickle(), headers=auth)
            after = await client.post("/ingest/auto", content=PAXLST, headers=auth)
            return slow.status_code, after.status_code

    assert asyncio.run(scenario()) == (408, 202)
    assert [m[3] for m in sink.messages] == [PAXLST]


@pytest.mark.timeout(60)
def test_one_key_cannot_take_every_slot() -> None:
    sink = BlockingSink()
    app, store = app_with(sink, api_max_inflight=10, api_max_inflight_per_key=2)
    greedy, other = bearer(store, Role.CARRIER, "JL"), bearer(store, Role.CARRIER, "NH")

    async def scenario() -> tuple[int, list[int]]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            held = [asyncio.create_task(client.post("/ingest/auto", content=b"m%d" % i, headers=greedy))
                    for i in range(2)]
            for _ in range(2):
                while not sink.entered.acquire(blocking=False):
                    await asyncio.sleep(0.01)
            refused = await client.post("/ingest/auto", content=b"third", headers=greedy)
            held.append(asyncio.create_task(client.post("/ingest/auto", content=b"nh", headers=other)))
            while not sink.entered.acquire(blocking=False):  # the other carrier got in
                await asyncio.sleep(0.01)
            sink.release.set()
            return refused.status_code, [r.status_code for r in await asyncio.gather(*held)]

    assert asyncio.run(scenario()) == (429, [202, 202, 202])


def test_answers_with_personal_data_are_not_stored_by_caches() -> None:
    app, store = app_with(MemoryRawSink())
    response = TestClient(app).get("/api/me", headers=bearer(store, Role.ANALYST, "a"))  # type: ignore[arg-type]
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_the_host_header_is_not_reflected_in_a_redirect() -> None:
    """Regression: GET /api/me/ with Host: evil.example redirected to http://evil.example/api/me."""
    app, store = app_with(MemoryRawSink())
    client = TestClient(app)  # type: ignore[arg-type]
    response = client.get("/api/me/", headers={**bearer(store, Role.ANALYST, "a"), "Host": "evil.example"},
                          follow_redirects=False)
    assert response.status_code == 404 and "evil.example" not in response.headers.get("location", "")


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = keys.hash_secret

    def counted(secret: str, salt: bytes) -> str:
        calls.append(secret)
        return real(secret, salt)

    monkeypatch.setattr(keys, "hash_secret", counted)
    return calls


def test_unknown_ids_and_wrong_secrets_cost_no_scrypt(scrypt_calls: list[str]) -> None:
    """Regression: an unknown id answered in 1.5 ms, a wrong secret for a known id in 53 ms (scrypt)."""
    store = MemoryKeyStore()
    plain = create_key(store, Role.ANALYST, "a")
    key_id, secret = split_key(plain) or ("", "")
    verifier = KeyVerifier(store)
    scrypt_calls.clear()
    wrong = [f"sk_{key_id}_{secret[:-4]}{n:04d}" for n in range(200)]
    assert [verifier.verify(w) for w in wrong].count(None) == 200
    assert verifier.verify("sk_000000000000_" + secret) is None
    assert len(scrypt_calls) <= 1  # a wrong secret passes the 16-bit pre-check once in 65536
    assert verifier.verify(plain) is not None and verifier.verify(plain) is not None
    assert len(scrypt_calls) <= 2  # once for the valid key, then remembered


def test_keys_from_before_the_pre_check_get_it_on_first_use() -> None:
    store = MemoryKeyStore()
    plain = create_key(store, Role.ANALYST, "a")
    key_id = (split_key(plain) or ("", ""))[0]
    legacy = store.get(key_id)
    assert legacy is not None and legacy.check_hex is not None
    store.add(replace(legacy, check_hex=None))
    assert KeyVerifier(store).verify(plain) is not None
    assert store.get(key_id) == legacy  # the same check value, now stored
