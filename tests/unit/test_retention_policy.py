"""The PNR retention policy: which records are masked or deleted when, and what a masked record keeps."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import MessageContext, parse_message
from scenario import WorldSpec, build_world, render
from schemas.records import (
    Booking,
    Identifier,
    Passenger,
    Record,
    RiskAssessment,
    ScreeningHit,
    TravelDocument,
    record_from_dict,
)
from targeting.retention import (
    MASKED_NAME,
    Action,
    depersonalise,
    depersonalise_query,
    months_before,
    parse_as_of,
    plan,
    retention_action,
)

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pnr_records() -> list[Record]:
    """Bookings and passengers as the PNRGOV parser makes them from a generated push."""
    world = build_world(WorldSpec(travellers=20, consignments=0, declarations=0, seed=4, day=date(2026, 11, 25)))
    message = next(m for m in render(world) if m.format == "pnrgov" and b"QX7P2M" in m.payload)
    records = parse_message(message.payload, MessageContext(source="test", received_at=AS_OF))
    return [r for r in records if r.record_type in ("booking", "passenger")]


def _aged(record: Record, age: timedelta) -> Record:
    return record.model_copy(update={"received_at": AS_OF - age})


def _enriched(record: Record) -> Record:
    return record.model_copy(update={
        "identifiers": [Identifier(scheme="phone", value="+85291234567"),
                        Identifier(scheme="passport", value="753912468"),
                        Identifier(scheme="awb", value="160-12345675")],
        "screening": [ScreeningHit(entry_id="sdn-1", list_name="OFAC SDN", matched_name="VOLKOV",
                                   query_name="DMITRI VOLKOV", score=0.9, explanation="name match")],
        "risk": RiskAssessment(score=0.8, model="rules", reasons=["DMITRI VOLKOV shares a phone"]),
    })


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2026, 8, 31, 9, 30), 6) == datetime(2026, 2, 28, 9, 30)
    assert months_before(datetime(2026, 3, 15), 6) == datetime(2025, 9, 15)
    assert months_before(datetime(2028, 2, 29), 60) == datetime(2023, 2, 28)


@pytest.mark.parametrize(("age_days", "expected"), [
    (0, Action.KEEP), (150, Action.KEEP), (200, Action.DEPERSONALISE), (5 * 365 - 10, Action.DEPERSONALISE),
    (5 * 365 + 10, Action.DELETE), (9000, Action.DELETE),
])
def test_action_depends_on_the_age_since_received(pnr_records: list[Record], age_days: int,
                                                  expected: Action) -> None:
    for record in pnr_records:
        assert retention_action(_aged(record, timedelta(days=age_days)), AS_OF) is expected


def test_exactly_six_months_old_is_not_yet_due(pnr_records: list[Record]) -> None:
    record = pnr_records[0].model_copy(update={"received_at": months_before(AS_OF, 6)})
    assert retention_action(record, AS_OF) is Action.KEEP
    record = record.model_copy(update={"received_at": months_before(AS_OF, 6) - timedelta(seconds=1)})
    assert retention_action(record, AS_OF) is Action.DEPERSONALISE


def test_only_pnr_records_are_in_scope(pnr_records: list[Record]) -> None:
    passenger = next(r for r in pnr_records if isinstance(r, Passenger))
    api = _aged(passenger.model_copy(update={"source_format": "paxlst"}), timedelta(days=4000))
    assert retention_action(api, AS_OF) is Action.KEEP
    unknown_age = passenger.model_copy(update={"received_at": None})
    assert retention_action(unknown_age, AS_OF) is Action.KEEP


def test_naive_timestamps_are_utc(pnr_records: list[Record]) -> None:
    record = pnr_records[0].model_copy(update={"received_at": datetime(2026, 1, 1)})
    assert retention_action(record, datetime(2026, 11, 25)) is Action.DEPERSONALISE


def test_masked_booking_keeps_travel_facts_and_loses_personal_data(pnr_records: list[Record]) -> None:
    booking = next(r for r in pnr_records if isinstance(r, Booking) and r.record_locator == "QX7P2M")
    assert booking.phones and booking.form_of_payment == "CA"
    masked = depersonalise(_enriched(booking), AS_OF)
    assert isinstance(masked, Booking)
    assert masked.depersonalised_at == AS_OF
    assert (masked.phones, masked.emails, masked.addresses, masked.remarks) == ([], [], [], [])
    assert (masked.form_of_payment, masked.payment_card, masked.payment_amount) == (None, None, None)
    assert (masked.id, masked.record_locator, masked.route, masked.one_way, masked.created_at, masked.carrier) == (
        booking.id, booking.record_locator, booking.route, booking.one_way, booking.created_at, booking.carrier)
    assert [i.scheme for i in masked.identifiers] == ["awb"]
    assert masked.screening == [] and masked.risk is not None and masked.risk.score == 0.8 and not masked.risk.reasons


def test_masked_passenger_has_no_name_document_or_contact(pnr_records: list[Record]) -> None:
    passenger = next(r for r in pnr_records if isinstance(r, Passenger) and r.surname == "VOLKOV")
    passenger = passenger.model_copy(update={"phones": ["+85291234567"], "emails": ["d.volkov@fastmail-example.net"],
                                             "documents": [TravelDocument(number="753912468")]})
    masked = depersonalise(_enriched(passenger), AS_OF)
    assert isinstance(masked, Passenger)
    assert masked.full_name == MASKED_NAME and masked.surname is None and masked.date_of_birth is None
    assert masked.documents == [] and masked.phones == [] and masked.address is None
    assert (masked.record_locator, masked.flight_leg_ids, masked.embarkation) == (
        passenger.record_locator, passenger.flight_leg_ids, passenger.embarkation)


def _personal_values(record: Record) -> list[str]:
    """The values in a parsed PNR record that identify a person."""
    if isinstance(record, Passenger):
        values = [record.surname or "", record.given_names or "", *(d.number for d in record.documents),
                  *record.phones, *record.emails]
    else:
        assert isinstance(record, Booking)
        values = [*record.phones, *record.emails, *(line for a in record.addresses for line in a.lines),
                  *(a.text or "" for a in record.addresses), *(record.payment_card or "",)]
    return [v for v in values if len(v) > 2]


def test_masked_records_validate_and_contain_no_personal_value(pnr_records: list[Record]) -> None:
    for record in pnr_records:
        personal = [*_personal_values(record), "+85291234567", "753912468", "DMITRI VOLKOV"]  # + enrichment
        assert len(personal) > 3
        masked = depersonalise(_enriched(record), AS_OF)
        data = masked.model_dump(mode="json")
        assert record_from_dict(data) == masked  # still a valid record of its schema
        text = json.dumps(data, ensure_ascii=False).upper()
        assert not [value for value in personal if value.upper() in text], record.id


def test_depersonalising_twice_changes_nothing(pnr_records: list[Record]) -> None:
    for record in pnr_records:
        once = depersonalise(_aged(record, timedelta(days=400)), AS_OF)
        assert retention_action(once, AS_OF) is Action.KEEP
        assert depersonalise(once, AS_OF) == once


def test_plan_sorts_records_by_action(pnr_records: list[Record]) -> None:
    ages = [timedelta(days=d) for d in (10, 300, 3000)]
    records = [_aged(r, age) for r in pnr_records for age in ages]
    result = plan(records, AS_OF)
    bookings = sum(isinstance(r, Booking) for r in pnr_records)
    passengers = sum(isinstance(r, Passenger) for r in pnr_records)
    assert result.summary() == {"booking.depersonalised": bookings, "passenger.depersonalised": passengers,
                                "booking.deleted": bookings, "passenger.deleted": passengers,
                                "kept": len(pnr_records)}


@given(st.integers(min_value=0, max_value=7000), st.integers(min_value=0, max_value=7000))
def test_an_older_record_never_gets_a_milder_action(days_a: int, days_b: int) -> None:
    booking = Booking(id="booking-x", source_format="pnrgov", record_locator="ABC123")
    severity = {Action.KEEP: 0, Action.DEPERSONALISE: 1, Action.DELETE: 2}
    older, newer = max(days_a, days_b), min(days_a, days_b)
    action_older = retention_action(_aged(booking, timedelta(days=older)), AS_OF)
    action_newer = retention_action(_aged(booking, timedelta(days=newer)), AS_OF)
    assert severity[action_older] >= severity[action_newer]


def test_queries_select_only_what_is_due() -> None:
    query = depersonalise_query("booking", AS_OF)
    window = query["bool"]["filter"][2]["range"]["received_at"]
    assert window == {"lt": "2026-05-25T12:00:00+00:00", "gte": "2021-11-25T12:00:00+00:00"}
    assert query["bool"]["must_not"] == [{"exists": {"field": "depersonalised_at"}}]


def test_as_of_accepts_a_date_or_a_timestamp() -> None:
    assert parse_as_of("2026-11-25") == datetime(2026, 11, 25, tzinfo=UTC)
    assert parse_as_of("2026-11-25T10:00:00+09:00") == datetime(2026, 11, 25, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_as_of("25/11/2026")


def test_pnr_dead_letters_lose_their_payload() -> None:
    payload = b"UNA:+.? '\nUNB+IATA:1+CX+JPCUSTOMS+261125:0930+1'\nUNH+1+PNRGOV:13:1:IA+1'\nTIF+VOLKOV+DMITRIMR:A:1'"
    records = parse_message(payload, MessageContext(source="test", received_at=AS_OF - timedelta(days=200)))
    (dead,) = records
    assert dead.source_format == "pnrgov" and "VOLKOV" in (getattr(dead, "raw", "") or "")
    assert retention_action(dead, AS_OF) is Action.DEPERSONALISE
    masked = depersonalise(dead, AS_OF)
    assert "VOLKOV" not in json.dumps(masked.model_dump(mode="json"))
    assert masked.model_dump(include={"raw_sha256", "raw_size", "reason"}) == dead.model_dump(
        include={"raw_sha256", "raw_size", "reason"})
    assert retention_action(masked, AS_OF) is Action.KEEP
    # Regression: a PNR the sniffer did not recognise (a typo in UNH) kept its raw payload for ever.
    unrecognised = dead.model_copy(update={"source_format": "unknown"})
    assert retention_action(unrecognised, AS_OF) is Action.DEPERSONALISE
    assert retention_action(unrecognised, AS_OF + timedelta(days=5 * 366)) is Action.DELETE


def test_masked_booking_drops_the_payer() -> None:
    booking = Booking(id="booking-1", source_format="pnrgov", source="t", record_locator="ABC123",
                      payer_name="ACME TRADING LTD", received_at=AS_OF - timedelta(days=200))
    masked = depersonalise(booking, AS_OF)
    assert isinstance(masked, Booking) and masked.payer_name is None
