"""The ingest job: Kafka raw topic → parse/normalise → enrich → validate → Elasticsearch (+ dead letters).

The job file only wires things: the source is the Flink Kafka SQL connector (``raw`` format, so any
bytes arrive intact, with topic/partition/offset/headers as metadata columns), the stages come from
``pipeline.chain`` and the writes go through ``streams.writer`` (``sekisho.es_io`` / ``sekisho.kafka_io``).

Parsing runs per message; enrichment, validation and writes run per batch and shard (model calls and
Great Expectations are far cheaper on batches). A batch is flushed when it reaches ``es_bulk_chunk``
records, when a processing-time timer ``flink_window_ms`` after its first record fires, or when the job
ends. A flushed batch is enriched and validated on the job's thread and written on the writer thread,
while the next batch fills; a batch that is due while the previous one is still being written waits
for the writer and grows meanwhile (group commit), so the timer sets the latency under light load and
the write time sets the batch size under heavy load.

Delivery is at least once: a batch waits in Flink keyed state (one list per shard) until its writes are
acknowledged, so a checkpoint taken before that carries it, and a worker that dies is restored with the
batch and its timers; Kafka offsets advance only with checkpoints. Writes are idempotent (deterministic
``_id``), so a replay after a failure changes nothing.
"""

from __future__ import annotations

import logging
import pickle
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from pyflink.common import Configuration, Types
from pyflink.datastream import (
    FlatMapFunction,
    KeyedProcessFunction,
    RuntimeContext,
    StreamExecutionEnvironment,
)
from pyflink.datastream.state import ListStateDescriptor
from pyflink.table import StreamTableEnvironment

from feeds import MessageContext
from pipeline.batch import Origin, process_batch
from pipeline.chain import StageChain, build_chain, process_message
from pipeline.time_limit import ParseTimeLimit
from schemas.records import Record
from sekisho.settings import Settings, get_settings
from streams.batch_keys import batch_key, subtask_keys
from streams.writer import BatchWriter, PreparedBatch, ProcessedBatch, fail_once, prepare, write_batch

log = logging.getLogger(__name__)

END_OF_INPUT = 2**63 - 1
WRITER_RECHECK_MS = 20  # a due batch whose key's previous write is still running is looked at again after this


HANDOVER = pickle.HIGHEST_PROTOCOL


def handed_over(item: bytes | tuple[Record, Origin]) -> tuple[Record, Origin]:
    """A (record, origin) pair from the writer's state: pickled bytes, or (in state restored from a savepoint
    of an earlier version, which kept the pair itself) the pair."""
    if isinstance(item, bytes | bytearray):
        pair: tuple[Record, Origin] = pickle.loads(item)  # written by this job's own parse step
        return pair
    return item


def _headers(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    return {str(k): (v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else str(v))
            for k, v in dict(raw).items()}


class ParseMessages(FlatMapFunction):  # type: ignore[misc]
    """Raw Kafka row → (batch key, pickled (record, origin)) pairs; every failure is itself a record (a
    Rejection). The pair is pickled here, once: the writer keeps the bytes in its state as they came and
    loads them when the batch is flushed (PyFlink's own pickled type would load and dump every record again
    on the way in, with cloudpickle).

    The batch key is a stable hash of the record id onto one key per writer subtask (``batch_keys``),
    so the writer scales with the job's parallelism and a record keeps its key in every process."""

    def __init__(self, settings: Settings) -> None:
        self.settings_json = settings.model_dump_json()
        self.keys = subtask_keys(settings.flink_parallelism, settings.flink_max_parallelism)
        self.max_bytes = 0
        self.time_limit: ParseTimeLimit | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        settings = Settings.model_validate_json(self.settings_json)
        self.max_bytes = settings.max_message_bytes
        self.time_limit = ParseTimeLimit(settings.stream_parse_time_limit_s, settings.stream_parse_isolate_bytes)

    def close(self) -> None:
        if self.time_limit is not None:
            self.time_limit.close()

    def flat_map(self, value: Any) -> Iterator[tuple[int, bytes]]:
        payload = bytes(value[0] or b"")
        headers = _headers(value[4])
        received = headers.get("received_at")
        ctx = MessageContext(
            source=headers.get("source", "kafka"),
            message_id=None,
            received_at=datetime.fromisoformat(received) if received else datetime.now(UTC),
            topic=value[1], partition=value[2], offset=value[3],
        )
        for record in process_message(payload, ctx, None, fmt=headers.get("format", "auto"),
                                      max_bytes=self.max_bytes, time_limit=self.time_limit):
            yield batch_key(record.id, self.keys), pickle.dumps((record, (value[1], value[2], value[3])), HANDOVER)


class EnrichValidateWrite(KeyedProcessFunction):  # type: ignore[misc]
    """Buffers records in keyed state; per batch: enrichment stages and the generated GE suite, then the
    writes (``streams.writer``: bulk write to Elasticsearch retrying through outages, records and dead
    letters to their topics) on the writer thread while the next batch fills.

    A batch stays in keyed state until its writes are acknowledged: ``pending`` holds the records of the
    batch being filled, ``written`` the prepared batch (JSON text) being written. At most one batch per key is being
    written; the next flush of the key waits for it first (backpressure)."""

    def __init__(self, settings: Settings, enrich: bool) -> None:
        self.settings_json = settings.model_dump_json()
        self.enrich = enrich
        self.chain: StageChain | None = None
        self.pending: Any = None  # ListState of pickled (record, origin): the shard's unflushed batch
        self.written: Any = None  # ListState of PreparedBatch: the shard's batch being written
        self.sizes: dict[int, int] = {}  # records added per shard since its last flush (this worker's view)
        self.due: dict[int, int] = {}  # processing time (ms) the shard's filling batch is due (this worker's view)
        self.writes: dict[int, Future[None]] = {}  # the shard's write on the writer thread
        self.settings: Settings | None = None
        self.validator: Any = None
        self.producer: Any = None
        self.writer: BatchWriter | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        from pipeline.screening_decisions import cleared_pairs
        from pipeline.validation import BatchValidator
        from sekisho import kafka_io

        self.settings = Settings.model_validate_json(self.settings_json)
        self.pending = runtime_context.get_list_state(ListStateDescriptor("pending", Types.PICKLED_BYTE_ARRAY()))
        self.written = runtime_context.get_list_state(ListStateDescriptor("written", Types.PICKLED_BYTE_ARRAY()))
        # Pairs analysts cleared as false positives are not reported again (re-read every minute).
        self.chain = build_chain(self.settings, cleared=cleared_pairs(self.settings).current) if self.enrich else None
        self.validator = BatchValidator()
        self.producer = kafka_io.producer(self.settings)
        self.writer = BatchWriter(self.settings, self.producer)

    def process_element(
        self, value: tuple[int, bytes], ctx: KeyedProcessFunction.Context
    ) -> Iterator[str]:
        assert self.settings is not None
        shard = value[0]
        self.pending.add(value[1])
        size = self.sizes[shard] = self.sizes.get(shard, 0) + 1
        timers = ctx.timer_service()
        now = timers.current_processing_time()
        if size == 1:
            due = self.due[shard] = now + self.settings.flink_window_ms
            timers.register_processing_time_timer(due)
            # Processing-time timers do not fire when a bounded input ends, but the final watermark
            # (Long.MAX_VALUE) fires every event-time timer: this one flushes and settles the last batch.
            timers.register_event_time_timer(END_OF_INPUT)
        # A full batch is flushed at once (waiting for the writer if it must); a due one as soon as the
        # writer is free: while records flow, they flush it on time, and the timer covers a quiet input.
        if size >= self.settings.es_bulk_chunk or (now >= self.due.get(shard, now) and self._writer_free(shard)):
            yield from self.flush(shard, timers)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator[str]:
        shard = ctx.get_current_key()
        timers = ctx.timer_service()
        if timestamp == END_OF_INPUT:
            yield from self.flush(shard, timers)
            self.settle(shard)
            return
        if not self._writer_free(shard):
            # The writer is still on the key's previous batch: the filling batch grows until the writer is
            # free (or full), so batches grow with the load and stay small, and quick, when it is light.
            timers.register_processing_time_timer(timers.current_processing_time() + WRITER_RECHECK_MS)
        elif timestamp >= self.due.get(shard, 0):  # the filling batch is due (or, restored, not known)
            yield from self.flush(shard, timers)
        else:  # the timer a flush left to settle its write; a newer batch is filling
            self.settle(shard)

    def _writer_free(self, shard: int) -> bool:
        write = self.writes.get(shard)
        return write is None or write.done()

    def flush(self, shard: int, timers: Any) -> Iterator[str]:
        """Settle the shard's previous write, process its filling batch and hand it to the writer thread;
        a timer settles that write if no record follows."""
        assert self.settings is not None and self.writer is not None
        self.settle(shard)
        batch = [handed_over(item) for item in self.pending.get() or []]
        self.sizes[shard] = 0
        self.due.pop(shard, None)
        if not batch:
            return
        fail_once(self.settings, "flush", len(batch))
        origins = {record.id: origin for record, origin in batch}
        result = process_batch([record for record, _ in batch], self.chain, self.validator, origins)
        processed = prepare(ProcessedBatch(valid=result.valid, rejected=result.rejected), self.settings)
        self.written.update([processed])
        self.pending.clear()
        self.writes[shard] = self.writer.submit(processed)
        timers.register_processing_time_timer(timers.current_processing_time() + self.settings.flink_window_ms)
        yield f"{len(result.valid)} {len(result.rejected)}"

    def settle(self, shard: int) -> None:
        """Wait for the shard's write and forget its batch; a batch restored from a checkpoint (written by
        no thread of this worker) is written again first. A failed write fails the task here: it restarts
        from its last checkpoint with the batch."""
        assert self.settings is not None
        write = self.writes.pop(shard, None)
        if write is not None:
            write.result()
        else:
            # ProcessedBatch: restored from the state of an earlier version, which kept the records
            restored: list[PreparedBatch | ProcessedBatch] = list(self.written.get() or [])
            if not restored:
                return
            for batch in restored:
                log.warning("writing again a batch of %d records restored from a checkpoint (key %s)",
                            len(batch), shard)
                write_batch(batch, self.settings, self.producer)
        self.written.clear()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.producer is not None:
            self.producer.close(timeout=10)


def source_ddl(settings: Settings, *, bounded: bool, group_id: str) -> str:
    bounded_opt = "'scan.bounded.mode' = 'latest-offset'," if bounded else ""
    return f"""
        CREATE TEMPORARY TABLE raw_messages (
            payload BYTES,
            msg_topic STRING METADATA FROM 'topic' VIRTUAL,
            msg_partition INT METADATA FROM 'partition' VIRTUAL,
            msg_offset BIGINT METADATA FROM 'offset' VIRTUAL,
            msg_headers MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL
        ) WITH (
            'connector' = 'kafka',
            'topic' = '{settings.topic("raw")}',
            'properties.bootstrap.servers' = '{settings.kafka_bootstrap}',
            'properties.group.id' = '{group_id}',
            'properties.auto.offset.reset' = 'earliest',
            'properties.max.partition.fetch.bytes' = '{settings.max_message_bytes + 65536}',
            'scan.startup.mode' = 'group-offsets',
            {bounded_opt}
            'format' = 'raw'
        )"""


def build_environment(settings: Settings) -> StreamExecutionEnvironment:
    from sekisho.stack import flink_connector_jars

    config = Configuration()
    config.set_string("python.executable", settings.flink_python_executable or sys.executable)
    config.set_string("python.fn-execution.bundle.time", str(settings.flink_bundle_ms))
    config.set_string("taskmanager.memory.managed.fraction", "0.2")
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.add_jars(*[p.as_uri() for p in flink_connector_jars(settings)])
    env.set_buffer_timeout(settings.flink_buffer_timeout_ms)
    env.set_parallelism(settings.flink_parallelism)
    env.set_max_parallelism(settings.flink_max_parallelism)
    env.enable_checkpointing(settings.flink_checkpoint_ms)
    return env


def run(settings: Settings, *, bounded: bool = True, enrich: bool = True,
        group_id: str | None = None, prepare: bool = True) -> None:
    """Run the job on the local mini-cluster (blocking). Bounded: stop at the offsets present at start."""
    s = settings
    job = build(s, bounded=bounded, enrich=enrich, group_id=group_id, prepare=prepare)
    job.execute(f"sekisho-ingest-{s.namespace}")


def build(settings: Settings, *, bounded: bool = True, enrich: bool = True, group_id: str | None = None,
          prepare: bool = True) -> StreamExecutionEnvironment:
    """The job graph on an environment, ready to ``execute`` (or ``execute_async`` for a job to cancel)."""
    from sekisho import es_io, kafka_io

    s = settings
    if prepare:
        kafka_io.ensure_topics(s)
        es_io.ensure_indices(s)
    env = build_environment(s)
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(source_ddl(s, bounded=bounded, group_id=group_id or s.topic("ingest-job")))
    rows = t_env.to_data_stream(t_env.from_path("raw_messages"))
    records = rows.flat_map(ParseMessages(s),
                            output_type=Types.TUPLE([Types.INT(), Types.PRIMITIVE_ARRAY(Types.BYTE())]))
    written = records.key_by(lambda pair: pair[0], key_type=Types.INT()).process(
        EnrichValidateWrite(s, enrich), output_type=Types.STRING())
    written.filter(lambda _line: False).print()
    return env


if __name__ == "__main__":
    # The same entry point everywhere: the mini-cluster, `flink run --python` on the loopback cluster and the
    # Kubernetes FlinkDeployment. --no-enrich skips the models (delivery drills and the engine benchmark).
    run(get_settings(), bounded="--unbounded" not in sys.argv, enrich="--no-enrich" not in sys.argv)
