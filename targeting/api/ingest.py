"""The carriers' ingestion endpoint: one raw message per request onto the raw Kafka topic.

The body is not parsed here (the stream does that, and turns bad input into dead letters); the endpoint
only bounds what a caller can hold so that a burst or a slow sender cannot exhaust the process: at most
``api_max_inflight`` requests are read and sent at once, and ``api_max_inflight_per_key`` per API key
(one carrier cannot take every slot), the rest get 429 with ``Retry-After``; the whole body must arrive
within ``api_body_timeout_s`` (a sender trickling a byte every few seconds gets 408 and loses its
slot); a body declared as something other than a carrier message (a form, HTML, an image) gets 415.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

from fastapi import HTTPException, Request

from schemas.records import message_id_of
from sekisho.settings import Settings

RETRY_AFTER_SECONDS = "1"
# What carriers send: EDIFACT (RFC 1767), XML, JSON, plain text or bytes. No Content-Type counts as bytes.
ACCEPTED_MEDIA_TYPES = frozenset({
    "application/octet-stream", "application/edifact", "application/edi-x12", "text/plain", "application/xml",
    "text/xml", "application/json",
})


class RawSink(Protocol):
    """Where accepted messages go; ``send`` returns once the message is durably stored."""

    def send(self, payload: bytes, *, source: str, format_hint: str, message_id: str) -> None: ...


class MemoryRawSink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str, bytes]] = []
        self._lock = threading.Lock()

    def send(self, payload: bytes, *, source: str, format_hint: str, message_id: str) -> None:
        with self._lock:
            self.messages.append((message_id, source, format_hint, payload))


class KafkaRawSink:
    """Sends through ``sekisho.kafka_io`` with one long-lived producer shared by all requests."""

    def __init__(self, settings: Settings) -> None:
        from sekisho import kafka_io

        self.settings = settings
        self._kafka_io = kafka_io
        # No linger: each request waits for its own acknowledgement; batches still form under load.
        self._producer = kafka_io.producer(self.settings, linger_ms=0)

    def send(self, payload: bytes, *, source: str, format_hint: str, message_id: str) -> None:
        message = self._kafka_io.RawMessage(payload=payload, source=source, format_hint=format_hint, key=message_id)
        self._kafka_io.send_raw_and_wait(message, client=self._producer, settings=self.settings)

    def close(self) -> None:
        self._producer.close(timeout=10)


class InflightLimiter:
    """A non-blocking counting gate: refuse instead of queueing when full (that is the back-pressure)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.current = 0
        self._lock = threading.Lock()

    def try_enter(self) -> bool:
        with self._lock:
            if self.current >= self.capacity:
                return False
            self.current += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.current -= 1


class PerKeyLimiter:
    """``InflightLimiter`` per API key: one caller cannot hold more than ``capacity`` slots."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.current: dict[str, int] = {}
        self._lock = threading.Lock()

    def try_enter(self, key_id: str) -> bool:
        with self._lock:
            held = self.current.get(key_id, 0)
            if held >= self.capacity:
                return False
            self.current[key_id] = held + 1
            return True

    def leave(self, key_id: str) -> None:
        with self._lock:
            held = self.current.get(key_id, 1) - 1
            if held <= 0:
                self.current.pop(key_id, None)
            else:
                self.current[key_id] = held


def check_media_type(request: Request) -> None:
    """415 unless the declared Content-Type is one a carrier message comes in (or none is declared)."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media = declared.split(";", 1)[0].strip().lower()
    if media not in ACCEPTED_MEDIA_TYPES:
        raise HTTPException(415, f"unsupported content type {media[:80]!r}; send the message as "
                                 "application/octet-stream, application/EDIFACT, XML, JSON or text")


async def read_body_within(request: Request, limit: int, timeout_s: float) -> bytes:
    """``read_body_limited`` with a deadline for the whole body (408 when it is not in by then)."""
    try:
        return await asyncio.wait_for(read_body_limited(request, limit), timeout_s)
    except TimeoutError as exc:
        raise HTTPException(408, f"request body not received within {timeout_s:g} s",
                            headers={"Connection": "close"}) from exc


async def read_body_limited(request: Request, limit: int) -> bytes:
    """The request body, refusing with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"message larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"message larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def message_id(payload: bytes) -> str:
    """The id the stream will give this message (sha256 of the payload), returned to the carrier."""
    return message_id_of(payload)
