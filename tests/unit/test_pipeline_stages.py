"""The stage chain and the batch validator, without any infrastructure."""

from __future__ import annotations

import json
from datetime import date

import pytest

from feeds import MessageContext
from pipeline.batch import process_batch
from pipeline.chain import StageChain, process_message
from pipeline.validation import BatchValidator
from schemas.records import FlightLeg, Passenger, Record, Rejection, RiskAssessment, TravelDocument, make_id

CTX = MessageContext(source="unit.json", topic="raw", partition=0, offset=7)


def _leg_payload(n: int) -> bytes:
    return json.dumps(
        {
            "record_type": "flight_leg",
            "id": make_id("flight_leg", n),
            "source_format": "canonical-json",
            "carrier": "JL",
            "flight_number": str(n),
        }
    ).encode()


def test_canonical_json_becomes_typed_records() -> None:
    (record,) = process_message(_leg_payload(1), CTX)
    assert isinstance(record, FlightLeg) and record.source == "unit.json"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "payload.empty"),
        (b"\x00\x01garbage", "format.unknown"),
        (b'{"record_type": "x", ', "json.malformed"),
        (b'{"record_type": "martian", "id": "1"}', "schema.unknown_type"),
        (b'{"record_type": "flight_leg", "id": "1", "source_format": "x"}', "schema.invalid"),
    ],
)
def test_bad_input_becomes_one_dead_letter_with_a_reason(payload: bytes, reason: str) -> None:
    (rejected,) = process_message(payload, CTX)
    assert isinstance(rejected, Rejection)
    assert rejected.reason == reason and rejected.stage == "parse"
    assert (rejected.topic, rejected.partition, rejected.offset, rejected.source) == ("raw", 0, 7, "unit.json")


def test_oversized_messages_are_rejected_before_parsing() -> None:
    (rejected,) = process_message(b"{" + b" " * 100, CTX, max_bytes=50)
    assert isinstance(rejected, Rejection) and rejected.reason == "payload.too_large"


def test_a_failing_enricher_keeps_the_record_unenriched() -> None:
    def broken(_record: object) -> object:
        raise RuntimeError("model exploded")

    chain = StageChain([("broken", broken)])  # type: ignore[list-item]
    (record,) = process_message(_leg_payload(2), CTX, chain)
    assert isinstance(record, FlightLeg)


@pytest.fixture(scope="module")
def validator() -> BatchValidator:
    return BatchValidator(today=date(2026, 11, 25))


def test_batch_validation_rejects_exactly_the_records_that_break_an_expectation(validator: BatchValidator) -> None:
    ok = Passenger(id="p-ok", source_format="t", full_name="A B", nationality="JP", date_of_birth=date(1980, 1, 1))
    bad_country = Passenger(id="p-zz", source_format="t", full_name="C D", nationality="ZZ")
    born_later = Passenger(id="p-future", source_format="t", full_name="E F", date_of_birth=date(2030, 1, 1))
    valid, rejected = validator.validate([ok, bad_country, born_later])
    assert [r.id for r in valid] == ["p-ok"]
    by_record = {r.record_id: r for r in rejected}
    assert by_record["p-zz"].expectation == "ExpectColumnValuesToBeInSet(passenger.nationality)"
    assert by_record["p-future"].expectation == "ExpectColumnValuesToBeBetween(passenger.date_of_birth)"
    assert all(r.reason == "validation.expectation" and r.stage == "validate" for r in rejected)


def test_a_failing_value_in_a_list_blames_its_own_record_and_every_failed_rule(validator: BatchValidator) -> None:
    def documents(*countries: str) -> list[TravelDocument]:
        return [TravelDocument.model_construct(number=f"N{i}", issuing_country=c) for i, c in enumerate(countries)]

    passengers = [
        Passenger(id="p0", source_format="t", full_name="A", documents=documents("JP", "FR")),
        Passenger(id="p1", source_format="t", full_name="B"),  # nothing to check: no column value of its own
        Passenger.model_construct(
            id="p2", record_type="passenger", source_format="t", full_name="C", nationality="XX",
            documents=documents("GB", "QQ", "DE"),
        ),
        Passenger(id="p3", source_format="t", full_name="D", documents=documents("US")),
    ]
    leg = FlightLeg(id="l1", source_format="t", carrier="JL", flight_number="1", departure_airport="HKG")
    valid, rejected = validator.validate([*passengers, leg])
    assert [r.id for r in valid] == ["p0", "p1", "p3", "l1"]
    (dead_letter,) = rejected
    assert dead_letter.record_id == "p2"
    assert dead_letter.detail == (
        "passenger p2 failed: ExpectColumnValuesToBeInSet(passenger.documents.issuing_country), "
        "ExpectColumnValuesToBeInSet(passenger.nationality)"
    )


def test_batches_with_nothing_to_check_pass_through(validator: BatchValidator) -> None:
    leg = FlightLeg(id="l1", source_format="t", carrier="JL", flight_number="1")
    assert validator.validate([leg]) == ([leg], [])


def _batch() -> tuple[Passenger, Passenger, Rejection]:
    ok = Passenger(id="p-ok", source_format="t", full_name="A B", nationality="JP")
    bad = Passenger(id="p-bad", source_format="t", full_name="C D", nationality="ZZ")  # not an ISO 3166 country
    (parse_dead_letter,) = process_message(b"", CTX)
    assert isinstance(parse_dead_letter, Rejection)
    return ok, bad, parse_dead_letter


def test_a_batch_splits_into_valid_records_and_dead_letters_with_their_origins(validator: BatchValidator) -> None:
    ok, bad, parse_dead_letter = _batch()
    origins = {ok.id: ("raw", 3, 100), bad.id: ("raw", 3, 101), parse_dead_letter.id: ("raw", 9, 999)}
    result = process_batch([ok, bad, parse_dead_letter], None, validator, origins)
    assert result.valid == [ok]
    by_stage = {r.stage: r for r in result.rejected}
    assert len(result.rejected) == 2 and set(by_stage) == {"parse", "validate"}
    rejected = by_stage["validate"]
    assert (rejected.record_id, rejected.reason) == (bad.id, "validation.expectation")
    assert rejected.expectation == "ExpectColumnValuesToBeInSet(passenger.nationality)"
    assert (rejected.topic, rejected.partition, rejected.offset) == ("raw", 3, 101)
    assert by_stage["parse"] == parse_dead_letter  # keeps the origin it was parsed with
    assert (parse_dead_letter.topic, parse_dead_letter.partition, parse_dead_letter.offset) == ("raw", 0, 7)


def test_a_failing_enrichment_stage_leaves_the_batch_unenriched_but_whole(validator: BatchValidator) -> None:
    ok, bad, parse_dead_letter = _batch()
    seen: list[int] = []

    def broken(_records: list[Record]) -> list[Record]:
        raise RuntimeError("model exploded")

    def loses_records(records: list[Record]) -> list[Record]:
        return records[:1]

    def scores(records: list[Record]) -> list[Record]:
        seen.append(len(records))
        return [r.model_copy(update={"risk": RiskAssessment(score=0.5, model="unit")}) for r in records]

    unenriched = process_batch(
        [ok, bad, parse_dead_letter], StageChain([("broken", broken), ("loses", loses_records)]), validator
    )
    assert unenriched.valid == [ok]
    assert sorted(r.record_id or r.id for r in unenriched.rejected) == sorted([bad.id, parse_dead_letter.id])
    chain = StageChain([("broken", broken), ("scores", scores)])
    result = process_batch([ok, bad, parse_dead_letter], chain, validator)
    assert seen == [2]  # the stages after the failing one still run, over the records (not the dead letter)
    assert [(r.id, r.risk) for r in result.valid] == [(ok.id, RiskAssessment(score=0.5, model="unit"))]
    assert {r.record_id or r.id for r in result.rejected} == {bad.id, parse_dead_letter.id}
