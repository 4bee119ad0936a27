"""A processed batch is prepared once for its writes (``streams.writer.prepare``): what the job keeps in its
state while the batch is written, and what a restored job writes again."""

from __future__ import annotations

import json
import pickle

from schemas.records import FlightLeg, Rejection, make_id
from sekisho import es_io
from sekisho.settings import Settings
from streams.writer import PreparedBatch, ProcessedBatch, prepare


def _batch() -> ProcessedBatch:
    legs = [FlightLeg(id=make_id("flight_leg", "prep", n), source_format="canonical-json", carrier="JL",
                      flight_number=str(n), departure_airport="HKG", arrival_airport="NRT") for n in range(3)]
    dead = Rejection(id=make_id("rejection", "prep"), source_format="canonical-json", source="test",
                     reason="validation.expectation", detail="flight_leg failed", stage="validate", raw="{}",
                     raw_size=2)
    return ProcessedBatch(valid=legs, rejected=[dead])


def test_each_record_becomes_its_topic_and_index_action_with_one_stamp() -> None:
    settings = Settings(namespace="prep")
    batch = _batch()
    prepared = prepare(batch, settings)
    assert len(prepared) == len(batch) == 4
    topics = [topic for topic, _ in prepared.writes]
    assert topics == [settings.topic("records")] * 3 + [settings.topic("deadletter")]
    stamps = set()
    for (_, action), record in zip(prepared.writes, [*batch.valid, *batch.rejected], strict=True):
        body = json.loads(action["_source"])
        stamps.add(body.pop("indexed_at"))
        expected = es_io.bulk_action(record, settings, source="-")
        assert (action["_op_type"], action["_index"], action["_id"]) == (
            expected["_op_type"], expected["_index"], record.id)
        assert body == json.loads(es_io.document_json(record))  # the record itself, stamped, no nulls
    assert len(stamps) == 1  # one time for the whole batch


def test_a_prepared_batch_survives_the_state_unchanged_and_is_not_prepared_again() -> None:
    settings = Settings(namespace="prep")
    prepared = prepare(_batch(), settings)
    restored = pickle.loads(pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL))
    assert restored == prepared
    assert prepare(restored, settings) is restored  # written again byte for byte, same indexed_at
    assert isinstance(restored, PreparedBatch)
