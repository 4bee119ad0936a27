"""Every message the feed generator renders parses back with the counts its manifest announces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from feeds import MessageContext, parse_message
from scenario import Message, WorldSpec, build_world, render
from schemas.records import Booking, Consignment, Declaration, FlightLeg, Passenger, Record, Rejection


def _count(cls: type[Record]) -> Callable[[list[Record]], int]:
    return lambda records: sum(isinstance(r, cls) for r in records)


def _goods(records: list[Record]) -> int:
    return sum(len(r.goods) for r in records if isinstance(r, Consignment | Declaration))


def _booked_legs(records: list[Record]) -> int:
    return sum(len(r.flight_leg_ids) for r in records if isinstance(r, Booking))


def _containers(records: list[Record]) -> int:
    return sum(len(r.containers) for r in records if isinstance(r, Consignment))


COUNTERS: dict[str, Callable[[list[Record]], int]] = {
    "passengers": _count(Passenger),
    "flights": _count(FlightLeg),
    "bookings": _count(Booking),
    "flight_legs": _booked_legs,  # legs per booking, as the generator counts them
    "consignments": _count(Consignment),
    "declarations": _count(Declaration),
    "goods_items": _goods,
    "containers": _containers,
}


@pytest.fixture(scope="module")
def messages() -> list[Message]:
    spec = WorldSpec(travellers=40, consignments=16, declarations=6, seed=11, day=date(2026, 11, 25))
    return list(render(build_world(spec)))


def test_generated_feeds_parse_with_announced_counts(messages: list[Message]) -> None:
    assert {m.format for m in messages} >= {"paxlst", "pnrgov", "wco-dms"}
    for message in messages:
        records = parse_message(message.payload, MessageContext(source=message.path))
        rejected = [r for r in records if isinstance(r, Rejection)]
        assert not rejected, (message.path, rejected[0].reason, rejected[0].detail)
        for name, expected in message.counts.items():
            if name in COUNTERS:
                assert COUNTERS[name](records) == expected, (message.path, name)
