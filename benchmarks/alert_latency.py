"""Latency from a record entering Kafka to its alert arriving at a webhook: p50/p99, against a baseline.

Both paths read the same kind of records from a Kafka topic of their own at the same fixed input rate
and end in an HTTP POST to the same local webhook receiver:

- baseline: a bare relay (consume, POST the record as is) — the floor Kafka + HTTP impose;
- Sekisho: the targeting stream (``targeting.worker.run``: link into the graph indices, propagate risk,
  score with the analyst rules, raise; hand the alert to the alert desk, which de-duplicates it per
  target and publishes it in a Kafka transaction; then index, sign and deliver);
- one process: the same worker with de-duplication in its own memory (``handle_batch`` on each polled
  batch, as the worker ran before the alert desk), so the desk's cost shows in the same run.

Needs the local stack (``sekisho stack up``). Usage::

    .venv/bin/python benchmarks/alert_latency.py [--records 200] [--rate 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
from schemas.records import Passenger, ScreeningHit, make_id
from sekisho import es_io, kafka_io
from sekisho.kafka_io import RawMessage
from sekisho.settings import Settings, get_settings
from targeting.alerts import MemorySubscriptions, new_subscription
from targeting.worker import TargetingWorker, records_of, run


class Webhook:
    """Records when each record's alert (or relayed record) arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                webhook.arrived.setdefault(body.get("record_id") or body["id"], time.time())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def suspicious_traveller(run_id: str, number: int) -> Passenger:
    """A traveller whose own name screens against a list: every one must alert."""
    name = f"TRAVELLER {run_id.upper()} {number}"
    return Passenger(
        id=make_id("passenger", "bench", run_id, number),
        source_format="canonical-json",
        full_name=name,
        booking_id=make_id("booking", "bench", run_id, number),
        phones=[f"+8190{number:08d}"],
        debarkation="NRT",
        screening=[
            ScreeningHit(
                entry_id=f"bench-{number}",
                list_name="OFAC SDN",
                matched_name=name,
                query_name=name,
                score=0.95,
                explanation="benchmark",
            )
        ],
    )


def drive(settings: Settings, webhook: Webhook, count: int, rate: float, tag: str) -> list[float]:
    """Produce ``count`` records at ``rate``/s; return each record's Kafka-to-webhook latency (s)."""
    run_id = uuid.uuid4().hex[:6]
    client = kafka_io.producer(settings, linger_ms=0)
    sent: dict[str, float] = {}
    try:
        start = time.monotonic()
        for number in range(count):
            record = suspicious_traveller(run_id, number)
            pause = start + number / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            sent[record.id] = time.time()
            kafka_io.produce_raw(
                [RawMessage(payload=record.model_dump_json().encode(), source=tag, key=record.id)],
                topic=settings.topic("records"),
                settings=settings,
                client=client,
            )
    finally:
        client.close(timeout=10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(rid in webhook.arrived for rid in sent):
        time.sleep(0.1)
    missing = [rid for rid in sent if rid not in webhook.arrived]
    if missing:
        print(f"{tag}: {len(missing)} of {count} never arrived", file=sys.stderr)
    return [webhook.arrived[rid] - t0 for rid, t0 in sent.items() if rid in webhook.arrived]


def relay(settings: Settings, url: str, stop: threading.Event, ready: threading.Event) -> None:
    """The baseline consumer: no processing, POST what was read."""
    with httpx.Client(timeout=5) as http:
        for batch in kafka_io.follow(
            settings.topic("records"), settings=settings, group_id=f"{settings.namespace}.relay", from_beginning=True,
            stop=stop.is_set,
        ):
            ready.set()
            for message in batch:
                http.post(url, content=message.value, headers={"Content-Type": "application/json"})


def one_process(settings: Settings, url: str, stop: threading.Event, ready: threading.Event) -> None:
    """The worker without the alert desk: each polled batch scored and de-duplicated in this process."""
    worker = TargetingWorker(settings, subscriptions=MemorySubscriptions([new_subscription("bench", url, "k")]))
    worker.warm_up()
    try:
        for batch in kafka_io.follow(settings.topic("records"), settings=settings,
                                     group_id=f"{settings.namespace}.one", from_beginning=True, stop=stop.is_set):
            ready.set()
            records, _ = records_of(message.value for message in batch)
            if records:
                worker.handle_batch(records)
    finally:
        worker.close()


def measure(
    name: str,
    settings: Settings,
    consumer: Callable[[threading.Event, threading.Event], None],
    webhook: Webhook,
    count: int,
    rate: float,
) -> list[float]:
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=consumer, args=(stop, ready), daemon=True)
    thread.start()
    ready.wait(30)
    time.sleep(1.0)  # let the consumer join its group before the clock starts
    try:
        return drive(settings, webhook, count, rate, name)
    finally:
        stop.set()
        thread.join(timeout=30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="records per second")
    args = parser.parse_args()
    base = get_settings()
    if not (es_io.is_healthy(base) and kafka_io.wait_until_reachable(base, timeout_s=5)):
        print("the local stack is not running: sekisho stack up", file=sys.stderr)
        return 1
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    webhook = Webhook()
    allowed = [webhook.url.split("/")[2]]  # the loopback receiver, allowed as exactly HOST:PORT
    spaces = {
        name: base.model_copy(update={"namespace": f"{namespace}-{name}", "alert_webhook_allowed_targets": allowed})
        for name in ("relay", "sekisho", "one-process")
    }
    results: dict[str, list[float]] = {}
    try:
        for settings in spaces.values():
            kafka_io.ensure_topics(settings)
            es_io.ensure_indices(settings)
            es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], settings)
        results["relay"] = measure("relay", spaces["relay"],
                                   lambda stop, ready: relay(spaces["relay"], webhook.url, stop, ready),
                                   webhook, args.records, args.rate)

        worker = TargetingWorker(
            spaces["sekisho"], subscriptions=MemorySubscriptions([new_subscription("bench", webhook.url, "k")])
        )

        def targeting(stop: threading.Event, ready: threading.Event) -> None:
            ready.set()
            run(spaces["sekisho"], worker=worker, group_id=f"{namespace}.targeting", from_beginning=True,
                stop=stop)

        results["sekisho"] = measure("sekisho", spaces["sekisho"], targeting, webhook, args.records, args.rate)
        worker.close()
        results["one-process"] = measure("one-process", spaces["one-process"],
                                         lambda stop, ready: one_process(spaces["one-process"], webhook.url, stop,
                                                                         ready),
                                         webhook, args.records, args.rate)
    finally:
        webhook.close()
        for settings in spaces.values():
            es_io.delete_namespace(settings)
            kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)

    print(f"records: {args.records} per path at {args.rate:g}/s")
    print(f"{'path':<12} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}")
    for name, values in results.items():
        if not values:
            print(f"{name:<12} {0:>5}  (nothing arrived)")
            continue
        print(
            f"{name:<12} {len(values):>5} {percentile(values, 0.5) * 1000:>9.1f} "
            f"{percentile(values, 0.99) * 1000:>9.1f} {statistics.fmean(values) * 1000:>9.1f}"
        )
    for path, baseline in (("sekisho", "relay"), ("sekisho", "one-process")):
        if not (results.get(path) and results.get(baseline)):
            continue
        for q in (0.5, 0.99):
            ratio = percentile(results[path], q) / max(percentile(results[baseline], q), 1e-9)
            print(f"{path} / {baseline} at p{int(q * 100)}: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
