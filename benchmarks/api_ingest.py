"""Ingestion endpoint benchmark: POST /ingest/auto against putting the same messages on Kafka directly.

Usage: ``.venv/bin/python benchmarks/api_ingest.py [--messages 2000] [--clients 8]`` (needs ``sekisho stack up``).

Both paths send the bundled PAXLST messages to the raw topic of a throw-away namespace through one
long-lived producer and wait for the broker's acknowledgement of each message. The baseline calls
``sekisho.kafka_io.send_raw_and_wait`` in-process; the Sekisho path goes through HTTP, API-key
authentication, the size limit and the in-flight gate of ``sekisho serve`` (uvicorn, one worker
process of its own, as in production).
Latency is per message (request to 202, or send to acknowledgement); throughput is over the run,
sequential and with ``--clients`` concurrent senders.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sekisho import kafka_io  # noqa: E402
from sekisho.settings import Settings, get_settings  # noqa: E402
from targeting.alerts import MemorySubscriptions  # noqa: E402
from targeting.api import create_app  # noqa: E402
from targeting.api.ingest import KafkaRawSink  # noqa: E402
from targeting.api.keys import FileKeyStore, create_key  # noqa: E402
from targeting.api.memory_store import MemoryStore  # noqa: E402
from targeting.api.roles import Role  # noqa: E402


def payloads(count: int) -> list[bytes]:
    files = sorted((ROOT / "data" / "feeds" / "paxlst").glob("*"))
    bodies = [p.read_bytes() for p in files if p.suffix == ".edi"]
    # A unique trailer per message, so every one gets its own id (as real messages do).
    return [bodies[i % len(bodies)] + f"\nUNZ+1+{i}'".encode() for i in range(count)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(label: str, send: Callable[[bytes], None], bodies: list[bytes], clients: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(body: bytes) -> None:
        start = time.perf_counter()
        send(body)
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)

    start = time.perf_counter()
    if clients == 1:
        for body in bodies:
            one(body)
    else:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, bodies))
    total = time.perf_counter() - start
    rate = len(bodies) / total
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    print(f"{label:<38} {rate:8.0f} msg/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return rate, p50, p99


def serve(settings: Settings, keys_file: Path, port: int) -> None:
    app = create_app(MemoryStore(), FileKeyStore(keys_file), KafkaRawSink(settings), MemorySubscriptions(), settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    settings = Settings(**{**get_settings().model_dump(), "namespace": f"bench{uuid.uuid4().hex[:8]}"})
    kafka_io.ensure_topics(settings, ["raw"])
    bodies = payloads(args.messages)
    producer = kafka_io.producer(settings, linger_ms=0)

    def direct(body: bytes) -> None:
        message = kafka_io.RawMessage(payload=body, source="bench")
        kafka_io.send_raw_and_wait(message, client=producer, settings=settings)

    # The server runs in its own process, as `sekisho serve` does, so client and server do not share a GIL.
    keys_file = Path(tempfile.mkdtemp()) / "keys.json"
    headers = {"Authorization": f"Bearer {create_key(FileKeyStore(keys_file), Role.CARRIER, 'bench')}"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(settings, keys_file, port), daemon=True)
    server.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                          limits=httpx.Limits(max_connections=args.clients * 2))

    def via_api(body: bytes) -> None:
        response = client.post("/ingest/auto", content=body)
        if response.status_code != 202:
            raise RuntimeError(f"{response.status_code}: {response.text}")

    print(f"{args.messages} PAXLST messages ({sum(map(len, bodies)) // len(bodies)} bytes on average), "
          f"namespace {settings.namespace}")
    try:
        for clients in (1, args.clients):
            direct_rate, direct_p50, direct_p99 = run(f"kafka_io.send_raw_and_wait, {clients} sender(s)", direct,
                                                      bodies, clients)
            api_rate, api_p50, api_p99 = run(f"POST /ingest/auto, {clients} client(s)", via_api, bodies, clients)
            print(f"  ratio Sekisho/baseline: throughput {api_rate / direct_rate:.2f}x, "
                  f"p50 {api_p50 / direct_p50:.2f}x, p99 {api_p99 / direct_p99:.2f}x")
    finally:
        client.close()
        server.terminate()
        server.join(10)
        producer.close(timeout=10)
        kafka_io.delete_topics([settings.topic("raw")], settings)


if __name__ == "__main__":
    main()
