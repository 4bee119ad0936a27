"""Fixed-rate latency measurement shared by the ingest benchmarks (not a test, not a library module).

Records are sent to the raw topic at a fixed rate, and each one's latency is read back from the document
the ingest job stored: ``indexed_at``, stamped by the writer when it sends the batch to Elasticsearch.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sekisho import es_io
from sekisho.settings import Settings


def send_at_rate(producer: Any, topic: str, docs: Iterable[dict[str, Any]], rate: int) -> dict[str, float]:
    """Send each document (keyed by its id) at ``rate`` per second; id → time sent."""
    sent: dict[str, float] = {}
    interval, next_at = 1.0 / rate, time.time()
    for doc in docs:
        sent[doc["id"]] = time.time()
        producer.send(topic, key=doc["id"].encode(), value=json.dumps(doc).encode(),
                      headers=[("source", b"latency")])
        next_at += interval
        time.sleep(max(0.0, next_at - time.time()))
    producer.flush()
    return sent


def indexed_at(settings: Settings, ids: set[str]) -> dict[str, float]:
    """id → when the writer sent it to Elasticsearch, for the flight legs among ``ids`` stored so far."""
    es_io.refresh(settings)
    found: dict[str, float] = {}
    for doc in es_io.scan("flight_leg", {"match_all": {}}, settings):
        if doc["id"] in ids and "indexed_at" in doc:
            found[doc["id"]] = datetime.fromisoformat(doc["indexed_at"].replace("Z", "+00:00")).timestamp()
    return found


def latencies(settings: Settings, sent: dict[str, float], stored_before: int, timeout_s: float = 180.0
              ) -> list[float]:
    """Wait until every sent record is stored (or the timeout); sorted latencies in ms. Prints how the
    latency moved over the run (per 5 s of sending) and any record not stored. Waiting polls a count (the
    documents are read once, at the end: a scan every poll would load the machine being measured).
    ``stored_before``: the flight legs the namespace held before ``sent`` was sent."""
    es_io.refresh(settings)
    deadline = time.time() + timeout_s
    while es_io.count("flight_leg", settings) - stored_before < len(sent) and time.time() < deadline:
        time.sleep(2.0)
        es_io.refresh(settings)
    stored = indexed_at(settings, set(sent))
    if len(stored) < len(sent):
        print(f"latency: only {len(stored)} of {len(sent)} records stored within {timeout_s:.0f} s")
    if not stored:
        return []
    start, slices = min(sent.values()), dict[int, list[float]]()
    for key in stored:
        slices.setdefault(int((sent[key] - start) // 5), []).append((stored[key] - sent[key]) * 1000)
    print("latency per 5 s of sending (p50/max ms): " + ", ".join(
        f"{statistics.median(v):.0f}/{max(v):.0f}" for _, v in sorted(slices.items())))
    return sorted((stored[k] - sent[k]) * 1000 for k in stored)


def p50_p99(latency_ms: list[float]) -> tuple[float, float]:
    """Median and 99th percentile of sorted latencies."""
    return statistics.median(latency_ms), latency_ms[min(len(latency_ms) - 1, int(len(latency_ms) * 0.99))]
