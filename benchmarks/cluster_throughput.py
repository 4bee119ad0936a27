"""Throughput of the ingest job on the loopback cluster at parallelism 1, 2 and 4 (not a test).

In one run (``sekisho stack up --cluster`` first), each job over N and over 2N flight legs:
  bulk      a bare single-threaded ``helpers.bulk`` client (chunks of 1,000) into the same 3-node cluster
  trivial   benchmarks/trivial_job.py at parallelism 2: Kafka → trivial map → keyBy/reduce → discard
  ingest    streams/jobs/ingest_job.py --no-enrich at parallelism 1, 2, 4: parse → GE validation → bulk write
Jobs are submitted with ``flink run --python``; rates use Flink's own job duration (deployment included,
client-side job compilation excluded): N over the time of the N run (whole run, start-up included), and
N over the difference between the 2N and the N runs (marginal: start-up cancelled out). CPU per record is
the CPU time of the TaskManager processes and their Python workers (children of the warm worker pool,
or of the TaskManagers when they start cold) during the 2N job, sampled from /proc while it runs.

Then, unless ``--rate 0``: the ingest job runs unbounded at parallelism 2 while records are produced at a
fixed rate, and the latency of each record from produce to its bulk write (``indexed_at``, stamped when the
processed batch is handed to the writer, which is free by then) is read back from Elasticsearch: p50/p99
record → Elasticsearch.

    .venv/bin/python benchmarks/cluster_throughput.py [--records 20000] [--rate 500] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path

from fixed_rate import indexed_at, latencies, p50_p99, send_at_rate  # benchmarks/, the script's directory

from schemas.records import make_id
from sekisho import es_io, kafka_io, stack_cluster
from sekisho.kafka_io import RawMessage
from sekisho.settings import PROJECT_ROOT, Settings, get_settings

TICKS = os.sysconf("SC_CLK_TCK")


def _doc(n: int, run: str) -> dict[str, str]:
    return {"record_type": "flight_leg", "id": make_id("flight_leg", run, n), "source_format": "canonical-json",
            "carrier": "JL", "flight_number": str(n % 9000 + 1), "departure_airport": "HKG",
            "arrival_airport": "NRT"}


class TreeCpu:
    """CPU time used by the given processes and every descendant, sampled while a job runs.

    A job's Python workers end with it and are not always waited for by the TaskManager (their CPU then
    shows in no live process's counters), so each process is sampled while it lives: at most one sampling
    interval of a worker's CPU is missed."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = set(roots)
        self.start = self._sample()
        self.last = dict(self.start)

    def _sample(self) -> dict[int, float]:
        parents: dict[int, int] = {}
        times: dict[int, float] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])
            times[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        found: dict[int, float] = {}
        for pid, cpu in times.items():
            walk = pid
            while walk > 1 and walk not in self.roots:
                walk = parents.get(walk, 0)
            if walk in self.roots:
                found[pid] = cpu
        return found

    def sample(self) -> None:
        self.last.update(self._sample())

    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def _taskmanager_pids(settings: Settings) -> list[int]:
    """The TaskManagers and the pool that forks their Python workers (its children are the jobs' workers)."""
    return [st.pid for st in stack_cluster.status(settings)
            if ("taskmanager" in st.name or st.name == "cluster-python-workers") and st.pid]


def bare_bulk(settings: Settings, count: int) -> float:
    from elasticsearch import helpers

    client = es_io.client(settings)
    index = settings.index("bulk-baseline")
    started = time.perf_counter()
    helpers.bulk(client, ({"_index": index, "_id": d["id"], "_source": d} for d in (_doc(n, "bulk")
                                                                                  for n in range(count))),
                 chunk_size=1000, refresh=False)
    elapsed = time.perf_counter() - started
    client.indices.delete(index=index)
    return count / elapsed


def run_job(settings: Settings, script: Path, *args: str) -> tuple[float, float]:
    """Submit, wait for the end; returns (Flink job seconds, TaskManager CPU seconds)."""
    cpu = TreeCpu(_taskmanager_pids(settings))
    job = stack_cluster.submit_python_job(settings, script, *args)
    while stack_cluster.job_status(job) not in ("FINISHED", "FAILED", "CANCELED"):
        cpu.sample()
        time.sleep(0.5)
    cpu.sample()
    detail = stack_cluster.rest_json(f"/jobs/{job}")
    assert isinstance(detail, dict) and detail["state"] == "FINISHED", detail
    return float(detail["duration"]) / 1000, cpu.seconds()


def latency(base: Settings, run: str, rate: int, seconds: int) -> list[float]:
    """Produce at a fixed rate into the unbounded ingest job (parallelism 2); ms from send to bulk write."""
    s = base.model_copy(update={"namespace": f"bench{run}-latency", "flink_parallelism": 2})
    kafka_io.ensure_topics(s)
    es_io.ensure_indices(s)
    job = stack_cluster.submit_python_job(s, PROJECT_ROOT / "streams/jobs/ingest_job.py", "--no-enrich",
                                          "--unbounded")
    producer = kafka_io.producer(s)
    try:
        # Warm up for 5 s at the same rate and wait until all of it is stored: every subtask's Python
        # workers started, the Kafka partitions assigned, connections open.
        warm = send_at_rate(producer, s.topic("raw"), (_doc(n, f"{run}-warm") for n in range(rate * 5)), rate)
        deadline = time.time() + 300
        while len(indexed_at(s, set(warm))) < len(warm):
            if time.time() > deadline or stack_cluster.job_status(job) in ("FAILED", "CANCELED"):
                raise RuntimeError(f"the latency job did not store its warm-up records (job {job})")
            time.sleep(1.0)
        sent = send_at_rate(producer, s.topic("raw"), (_doc(n, f"{run}-lat") for n in range(rate * seconds)), rate)
        return latencies(s, sent, stored_before=len(warm))
    finally:
        producer.close()
        stack_cluster.cancel_job(job)
        es_io.delete_namespace(s)
        kafka_io.delete_topics([s.topic(t) for t in kafka_io.TOPICS], s)


JOBS = (("trivial p2", 2, PROJECT_ROOT / "benchmarks" / "trivial_job.py", ()),
        ("ingest p1", 1, PROJECT_ROOT / "streams/jobs/ingest_job.py", ("--no-enrich",)),
        ("ingest p2", 2, PROJECT_ROOT / "streams/jobs/ingest_job.py", ("--no-enrich",)),
        ("ingest p4", 4, PROJECT_ROOT / "streams/jobs/ingest_job.py", ("--no-enrich",)))


def timed_job(base: Settings, run: str, label: str, parallelism: int, script: Path, args: tuple[str, ...],
              n: int) -> tuple[float, float]:
    """One bounded job over ``n`` fresh records in a namespace of its own: (Flink job seconds, TM CPU s)."""
    # The raw topic has a partition per source subtask of the largest parallelism measured: with fewer, the
    # surplus source subtasks read nothing and their slots only write (at p4 over 2 partitions, two Python
    # workers parsed everything).
    s = base.model_copy(update={"namespace": f"bench{run}-{label.replace(' ', '')}-{n}",
                                "flink_parallelism": parallelism,
                                "kafka_partitions": max(job[1] for job in JOBS)})
    kafka_io.ensure_topics(s)
    es_io.ensure_indices(s)
    kafka_io.produce_raw((RawMessage(payload=json.dumps(_doc(i, s.namespace)).encode(), source="bench")
                          for i in range(n)), settings=s)
    try:
        seconds, cpu = run_job(s, script, *args)
        if label.startswith("ingest"):
            es_io.refresh(s)
            stored = es_io.count("flight_leg", s)
            if stored != n:
                raise RuntimeError(f"{label}: {stored} of {n} documents stored")
        return seconds, cpu
    finally:
        es_io.delete_namespace(s)
        kafka_io.delete_topics([s.topic(t) for t in kafka_io.TOPICS], s)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=500, help="records/s for the latency phase (0: skip it)")
    parser.add_argument("--seconds", type=int, default=30, help="length of the latency phase")
    parser.add_argument("--latency-only", action="store_true")
    opts = parser.parse_args()
    n = opts.records
    base = stack_cluster.cluster_settings(get_settings())
    stack_cluster.up(base)
    run = uuid.uuid4().hex[:6]
    print(f"load average at start: {os.getloadavg()}")
    if opts.latency_only:
        _print_latency(base, run, opts.rate, opts.seconds)
        return
    bulk_rate = bare_bulk(base.model_copy(update={"namespace": f"bench{run}"}), n)
    print(f"bulk     bare helpers.bulk, 1 thread:        {bulk_rate:8.0f} documents/s")
    # Each job runs over N and over 2N records. N / (its job time) is the rate of a whole run, start-up
    # included (deployment, Python workers, connections: a 1,000-record job takes ~5 s with warm workers);
    # N / (time over 2N - time over N) is the marginal rate, the start-up cancelled out: the rate of a job
    # that keeps running.
    # The first job on a fresh cluster is slower (JVMs not warmed up, Python environments unpacked):
    # one small job of each kind first, not measured.
    for label, parallelism, script, args in JOBS[:2]:
        timed_job(base, run, f"warm-up {label}", parallelism, script, args, 1000)
    whole: dict[str, float] = {}
    marginal: dict[str, float] = {}
    for label, parallelism, script, args in JOBS:
        once, _ = timed_job(base, run, label, parallelism, script, args, n)
        twice, cpu = timed_job(base, run, label, parallelism, script, args, 2 * n)
        whole[label] = n / once
        marginal[label] = n / (twice - once) if twice > once else float("inf")
        print(f"{label:10s} whole run {whole[label]:6.0f} records/s ({once:.1f} s for N, {twice:.1f} s for 2N), "
              f"marginal {marginal[label]:6.0f} records/s, {1000 * cpu / (2 * n):.2f} ms TaskManager CPU/record"
              + ("; every document stored" if label.startswith("ingest") else ""))
    for label in ("ingest p1", "ingest p2", "ingest p4"):
        print(f"{label}: whole run {whole[label] / whole['trivial p2']:.2f}× trivial p2, "
              f"{whole[label] / bulk_rate:.2f}× bare bulk; marginal {marginal[label] / marginal['trivial p2']:.2f}× "
              f"trivial p2, {marginal[label] / bulk_rate:.2f}× bare bulk")
    if opts.rate:
        _print_latency(base, run, opts.rate, opts.seconds)
    print(f"load average at end: {os.getloadavg()}")


def _print_latency(base: Settings, run: str, rate: int, seconds: int) -> None:
    lat = latency(base, run, rate, seconds)
    if not lat:
        print("latency: no record was indexed")
        return
    p50, p99 = p50_p99(lat)
    print(f"latency  ingest p2 at {rate} records/s for {seconds} s ({len(lat)} records): p50 {p50:.0f} ms, "
          f"p99 {p99:.0f} ms, max {lat[-1]:.0f} ms (produce → bulk write to Elasticsearch); "
          f"window {base.flink_window_ms} ms, bundle {base.flink_bundle_ms} ms, buffer timeout "
          f"{base.flink_buffer_timeout_ms} ms; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
