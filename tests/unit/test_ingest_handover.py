"""The hand-over between the ingest job's parse step and its writer: pickled once, loaded at the flush."""

from __future__ import annotations

import pickle

from schemas.records import FlightLeg, make_id
from streams.jobs.ingest_job import HANDOVER, handed_over


def _leg() -> FlightLeg:
    return FlightLeg(id=make_id("flight_leg", "handover", 1), source_format="canonical-json", carrier="JL",
                     flight_number="1", departure_airport="HKG", arrival_airport="NRT")


def test_a_pickled_pair_comes_back_equal() -> None:
    pair = (_leg(), ("ns.raw", 3, 41))
    assert handed_over(pickle.dumps(pair, HANDOVER)) == pair


def test_a_pair_restored_from_an_earlier_version_s_state_is_taken_as_it_is() -> None:
    pair = (_leg(), ("ns.raw", 0, 7))
    assert handed_over(pair) is pair
