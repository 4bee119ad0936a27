"""The carriers' ingestion endpoint: 202 with the message id, size limit, back-pressure, bus failures."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from sekisho.settings import Settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role

PAXLST = b"UNA:+.? 'UNB+UNOA:4+AIRLINE+CUSTOMS+261125:0900+1'UNH+1+PAXLST:D:05B:UN:IATA'UNT+2+1'UNZ+1+1'"


class BlockingSink:
    """Holds every send until released, so the test can fill the in-flight window."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.messages: list[bytes] = []

    def send(self, payload: bytes, *, source: str, format_hint: str, message_id: str) -> None:
        self.entered.release()
        self.release.wait(10)
        self.messages.append(payload)


class BrokenSink:
    def send(self, payload: bytes, *, source: str, format_hint: str, message_id: str) -> None:
        raise ConnectionError("no broker")


def build(sink: object, **settings: object) -> tuple[TestClient, str]:
    keys = MemoryKeyStore()
    app = create_app(MemoryStore(), keys, sink, MemorySubscriptions(), Settings(**settings))  # type: ignore[arg-type]
    return TestClient(app), f"Bearer {create_key(keys, Role.CARRIER, 'JL')}"


def test_accepts_a_message_with_its_id() -> None:
    sink = MemoryRawSink()
    client, auth = build(sink)
    response = client.post("/ingest/auto", content=PAXLST, headers={"Authorization": auth})
    assert response.status_code == 202
    body = response.json()
    assert body == {"message_id": hashlib.sha256(PAXLST).hexdigest(), "format": "auto", "bytes": len(PAXLST)}
    assert sink.messages == [(body["message_id"], "api:JL", "auto", PAXLST)]


def test_known_format_hint_unknown_format_and_empty_body() -> None:
    sink = MemoryRawSink()
    client, auth = build(sink)
    ok = client.post(
        "/ingest/canonical-json", content=b'{"record_type": "x"}', headers={"Authorization": auth}
    )
    assert ok.status_code == 202 and sink.messages[0][2] == "canonical-json"
    assert client.post("/ingest/telex", content=b"x", headers={"Authorization": auth}).status_code == 404
    assert client.post("/ingest/auto", content=b"", headers={"Authorization": auth}).status_code == 400


def test_too_large_is_413_and_not_sent() -> None:
    sink = MemoryRawSink()
    client, auth = build(sink, max_message_bytes=1000)
    assert (
        client.post("/ingest/auto", content=b"x" * 1000, headers={"Authorization": auth}).status_code == 202
    )
    assert (
        client.post("/ingest/auto", content=b"x" * 1001, headers={"Authorization": auth}).status_code == 413
    )

    def chunks() -> object:  # no Content-Length: the limit is enforced while reading
        for _ in range(5):
            yield b"y" * 300

    response = client.post("/ingest/auto", content=chunks(), headers={"Authorization": auth})  # type: ignore[arg-type]
    assert response.status_code == 413
    assert len(sink.messages) == 1


def test_bus_failure_is_503_with_retry_after() -> None:
    client, auth = build(BrokenSink())
    response = client.post("/ingest/auto", content=PAXLST, headers={"Authorization": auth})
    assert response.status_code == 503 and response.headers["retry-after"]


@pytest.mark.timeout(60)
def test_saturation_answers_429_then_recovers() -> None:
    sink = BlockingSink()
    keys = MemoryKeyStore()
    app = create_app(MemoryStore(), keys, sink, MemorySubscriptions(), Settings(api_max_inflight=3))
    auth = {"Authorization": f"Bearer {create_key(keys, Role.CARRIER, 'JL')}"}

    async def scenario() -> tuple[list[int], int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            held = [
                asyncio.create_task(client.post("/ingest/auto", content=b"m%d" % i, headers=auth))
                for i in range(3)
            ]
            for _ in range(3):  # wait until all three are inside the sink
                while not sink.entered.acquire(blocking=False):
                    await asyncio.sleep(0.01)
            refused = await client.post("/ingest/auto", content=b"extra", headers=auth)
            sink.release.set()
            statuses = [r.status_code for r in await asyncio.gather(*held)]
            after = await client.post("/ingest/auto", content=b"later", headers=auth)
            return statuses, refused.status_code, after.status_code

    statuses, refused, after = asyncio.run(scenario())
    assert statuses == [202, 202, 202]
    assert refused == 429
    assert after == 202
    assert len(sink.messages) == 4
