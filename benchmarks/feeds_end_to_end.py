"""Generated feeds end to end on the real local stack (not a test).

Generator → Kafka → PyFlink ingest job (real parsers, identifiers, screening, risk; GE validation) →
Elasticsearch, against the trivial PyFlink job (map → keyBy/reduce → discard) over the same messages
in the same run. Prints messages/s and records/s for both and the ratio.

    .venv/bin/python benchmarks/feeds_end_to_end.py [--travellers 2000 --consignments 600 --declarations 400]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--travellers", type=int, default=2000)
    parser.add_argument("--consignments", type=int, default=600)
    parser.add_argument("--declarations", type=int, default=400)
    args = parser.parse_args()

    # The same namespace handling and baseline job as the pipeline benchmark.
    from pipeline_throughput import baseline_job, bench_settings, drop_namespace

    from scenario import generate, spec_for
    from sekisho import es_io, kafka_io
    from sekisho.cli.feed_files import message_files, raw_messages
    from streams.jobs import ingest_job

    settings = bench_settings("feeds")
    out = Path(tempfile.mkdtemp(prefix="sekisho-feeds-"))
    started = time.perf_counter()
    generate(spec_for("demo", seed=3, travellers=args.travellers, consignments=args.consignments,
                      declarations=args.declarations), out)
    files = message_files([out])
    print(f"generated {len(files)} messages in {time.perf_counter() - started:.1f}s")
    sent = kafka_io.produce_raw(raw_messages(files), settings=settings)

    base_s = baseline_job(settings, "feeds-baseline")
    started = time.perf_counter()
    ingest_job.run(settings, group_id="feeds-sekisho")
    ours_s = time.perf_counter() - started
    es_io.refresh(settings)
    records = sum(es_io.count(t, settings) for t in
                  ("passenger", "flight_leg", "booking", "party", "consignment", "declaration", "rejection"))
    print(f"baseline (map → keyBy/reduce → discard): {sent / base_s:8.0f} messages/s ({base_s:.1f}s incl. job start)")
    print(f"sekisho  (parse, enrich, validate, index): {sent / ours_s:8.0f} messages/s, {records / ours_s:8.0f} "
          f"records/s ({records} records, {ours_s:.1f}s incl. job start)")
    print(f"ratio sekisho/baseline (messages/s): {base_s / ours_s:.2f}")
    drop_namespace(settings)
    os._exit(0)


if __name__ == "__main__":
    main()
