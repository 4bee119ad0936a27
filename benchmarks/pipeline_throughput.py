"""Throughput and latency of the ingest path on the real local stack (not a test).

In one run, over the same N records on the same Kafka topic:
  baseline  PyFlink job: Kafka source → trivial map → keyBy/reduce → discarding sink
  sekisho   the ingest job: Kafka → parse → validate (GE) → Elasticsearch bulk (+ dead letters)
prints records/s for both and the ratio; then, with the ingest job running unbounded, produces at a
fixed rate and reports p50/p99 latency from produce to the bulk write that stores the record
(``indexed_at``, stamped by the writer when it sends the batch to Elasticsearch).

    .venv/bin/python benchmarks/pipeline_throughput.py [--records 200000] [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
import uuid
from typing import Any

from fixed_rate import latencies, p50_p99, send_at_rate  # benchmarks/, the script's directory

from schemas.records import make_id


def _doc(n: int, run: str) -> bytes:
    return json.dumps({"record_type": "flight_leg", "id": make_id("flight_leg", run, n),
                       "source_format": "canonical-json", "carrier": "JL", "flight_number": str(n % 9000),
                       "departure_airport": "HKG", "arrival_airport": "NRT"}).encode()


def produce(settings: object, count: int, run: str) -> None:
    from sekisho import kafka_io
    from sekisho.kafka_io import RawMessage

    kafka_io.produce_raw((RawMessage(payload=_doc(n, run), source="bench", key=f"{run}-{n}")
                          for n in range(count)), settings=settings)  # type: ignore[arg-type]


def baseline_job(settings: object, group: str) -> float:
    from pyflink.common import Types
    from pyflink.table import StreamTableEnvironment

    from streams.jobs.ingest_job import build_environment, source_ddl

    env = build_environment(settings)  # type: ignore[arg-type]
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(source_ddl(settings, bounded=True, group_id=group))  # type: ignore[arg-type]
    rows = t_env.to_data_stream(t_env.from_path("raw_messages"))
    counted = rows.map(lambda r: (len(r[0]) % 4, 1), output_type=Types.TUPLE([Types.INT(), Types.INT()]))
    reduced = counted.key_by(lambda t: t[0], key_type=Types.INT()).reduce(lambda a, b: (a[0], a[1] + b[1]))
    reduced.filter(lambda _t: False).print()
    started = time.perf_counter()
    env.execute("baseline")
    return time.perf_counter() - started


def sekisho_job(settings: object, group: str) -> float:
    from streams.jobs import ingest_job

    started = time.perf_counter()
    ingest_job.run(settings, enrich=False, group_id=group)  # type: ignore[arg-type]
    return time.perf_counter() - started


def latency(settings: object, rate: int, seconds: int) -> list[float]:
    """Produce at a fixed rate into a running unbounded job; latencies in ms from produce to indexed_at."""
    from sekisho import es_io, kafka_io
    from streams.jobs import ingest_job

    # A namespace of its own, so the job does not first work through the throughput phase's backlog.
    settings = settings.model_copy(update={"namespace": f"{settings.namespace}lat"})  # type: ignore[attr-defined]
    kafka_io.ensure_topics(settings)  # type: ignore[arg-type]
    es_io.ensure_indices(settings)  # type: ignore[arg-type]
    run = uuid.uuid4().hex[:6]
    job = threading.Thread(target=lambda: _run_quietly(ingest_job, settings), daemon=True)
    job.start()
    time.sleep(40)  # job start-up (JVM, Python workers)
    producer = kafka_io.producer(settings)  # type: ignore[arg-type]
    docs = ({"record_type": "flight_leg", "id": make_id("flight_leg", "lat", run, n), "source_format": "canonical-json",
             "carrier": "NH", "flight_number": str(n % 9000)} for n in range(rate * seconds))
    return latencies(settings, send_at_rate(producer, settings.topic("raw"), docs, rate), stored_before=0)  # type: ignore[attr-defined]


def _run_quietly(ingest_job: object, settings: object) -> None:
    with contextlib.suppress(Exception):  # the job is abandoned when the benchmark process exits
        ingest_job.run(settings, enrich=False, bounded=False, group_id="latency")  # type: ignore[attr-defined]


def bench_settings(prefix: str) -> Any:
    """A fresh namespace on the running (or started) local stack, with its topics and indices."""
    os.environ["SEKISHO_NAMESPACE"] = f"{prefix}{uuid.uuid4().hex[:6]}"
    from sekisho import es_io, kafka_io
    from sekisho import stack as local_stack
    from sekisho.settings import get_settings

    settings = get_settings()
    local_stack.up(settings)
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    return settings


def drop_namespace(settings: Any) -> None:
    from sekisho import es_io, kafka_io

    es_io.delete_namespace(settings)
    kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()

    from sekisho import es_io

    settings = bench_settings("bench")
    run = uuid.uuid4().hex[:6]
    t0 = time.perf_counter()
    produce(settings, args.records, run)
    print(f"produced {args.records} records in {time.perf_counter() - t0:.1f}s", flush=True)

    base_s = baseline_job(settings, "bench-baseline")
    ours_s = sekisho_job(settings, "bench-sekisho")
    es_io.refresh(settings)
    stored = es_io.count("flight_leg", settings)
    base_rate, ours_rate = args.records / base_s, args.records / ours_s
    print(f"baseline  (map → keyBy/reduce → discard): {base_rate:9.0f} records/s ({base_s:.1f}s, incl. job start)")
    print(f"sekisho   (parse → GE validate → ES bulk): {ours_rate:9.0f} records/s ({ours_s:.1f}s, incl. job start);"
          f" {stored} documents stored")
    print(f"ratio sekisho/baseline: {ours_rate / base_rate:.2f}")
    lat = latency(settings, args.rate, args.seconds)
    if lat:
        p50, p99 = p50_p99(lat)
        print(f"latency at {args.rate} records/s for {args.seconds}s ({len(lat)} records stored): "
              f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (produce → bulk write to Elasticsearch)")
    drop_namespace(settings)
    drop_namespace(settings.model_copy(update={"namespace": f"{settings.namespace}lat"}))
    sys.stdout.flush()
    os._exit(0)  # the unbounded latency job is still running in the JVM


if __name__ == "__main__":
    main()
