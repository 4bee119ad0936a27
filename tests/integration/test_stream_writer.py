"""The ingest job's writes (``streams.writer``) against the real Elasticsearch and Kafka of the stack."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from kafka.admin import NewTopic
from kafka.errors import MessageSizeTooLargeError

from schemas.records import FlightLeg, Rejection, make_id
from sekisho import es_io, kafka_io
from sekisho.settings import Settings
from streams.writer import BatchWriter, ProcessedBatch, write_batch

pytestmark = pytest.mark.integration


def _leg(n: int, tag: str, **extra: Any) -> FlightLeg:
    return FlightLeg(id=make_id("flight_leg", tag, n), source_format="canonical-json", carrier="JL",
                     flight_number=str(n), departure_airport="HKG", arrival_airport="NRT", **extra)


def _rejection(tag: str) -> Rejection:
    return Rejection(id=make_id("rejection", tag), source_format="canonical-json", source="writer-test",
                     reason="validation.expectation", detail="flight_leg failed", stage="validate", raw="{}",
                     raw_size=2)


def _messages(topic: str, settings: Settings) -> dict[str, dict[str, Any]]:
    return {json.loads(m.value)["id"]: json.loads(m.value)
            for m in kafka_io.consume(topic, settings=settings, idle_timeout_s=3)}


def test_a_batch_is_indexed_then_sent_with_the_same_documents(stack: Settings) -> None:
    tag = uuid.uuid4().hex[:8]
    legs = [_leg(n, tag) for n in range(3)]
    dead = _rejection(tag)
    producer = kafka_io.producer(stack)
    try:
        write_batch(ProcessedBatch(valid=legs, rejected=[dead]), stack, producer)
    finally:
        producer.close()
    es_io.refresh(stack)
    stored = {leg.id: es_io.get("flight_leg", leg.id, stack) for leg in legs}
    sent = _messages(stack.topic("records"), stack)
    for leg in legs:
        doc = stored[leg.id]
        assert doc is not None and doc["indexed_at"]  # stamped when the write began
        assert sent[leg.id] == doc  # serialised once: the topic carries the indexed document
    dead_letters = _messages(stack.topic("deadletter"), stack)
    assert dead_letters[dead.id]["reason"] == "validation.expectation"
    assert es_io.get("rejection", dead.id, stack) == dead_letters[dead.id]


def test_a_record_kafka_refuses_fails_the_batch(stack: Settings) -> None:
    """A topic that takes no record over 2,000 bytes: the broker refuses the large one, so the batch fails
    (and would stay in the job's state) instead of being forgotten with one record missing."""
    strict = stack.model_copy(update={"namespace": f"{stack.namespace}-strict"})
    admin = kafka_io.admin(strict)
    try:
        admin.create_topics([NewTopic(name=strict.topic("records"), num_partitions=1, replication_factor=1,
                                      topic_configs={"max.message.bytes": "2000"})])
    finally:
        admin.close()
    es_io.ensure_indices(strict)
    producer = kafka_io.producer(strict, retries=0)
    try:
        large = _leg(2, "strict", marketing_carrier="X" * 5000)
        with pytest.raises(MessageSizeTooLargeError):
            write_batch(ProcessedBatch(valid=[large], rejected=[]), strict, producer)
    finally:
        producer.close()
        es_io.delete_namespace(strict)
        kafka_io.delete_topics([strict.topic("records")], strict)


def test_the_writer_thread_hands_a_failure_to_the_job_and_writes_the_next_batch(stack: Settings) -> None:
    producer = kafka_io.producer(stack)
    unreachable = stack.model_copy(update={"es_url": "http://127.0.0.1:9", "es_retry_max_seconds": 0.0})
    writer = BatchWriter(unreachable, producer)
    good = BatchWriter(stack, producer)
    try:
        failed = writer.submit(ProcessedBatch(valid=[_leg(1, "unreachable")], rejected=[]))
        with pytest.raises(Exception, match="Connection"):
            failed.result(timeout=60)
        leg = _leg(2, "after")
        good.submit(ProcessedBatch(valid=[leg], rejected=[])).result(timeout=60)
        first, second = (_leg(n, "order") for n in (3, 4))
        done = [good.submit(ProcessedBatch(valid=[first], rejected=[])),
                good.submit(ProcessedBatch(valid=[second], rejected=[]))]
        done[1].result(timeout=60)
        assert done[0].done()  # one thread, in submission order
    finally:
        writer.close()
        good.close()
        producer.close()
    es_io.refresh(stack)
    assert es_io.get("flight_leg", leg.id, stack) is not None
