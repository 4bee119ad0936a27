"""The per-message parse time limit: a message over it becomes a dead letter with its reason, the stream goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from feeds import MessageContext, parse_message
from pipeline.chain import process_message
from pipeline.time_limit import ParseTimeLimit
from schemas.records import Passenger, Rejection


def many_travellers(count: int) -> bytes:
    """One PNRGOV push with ``count`` travellers on one booking (large, and slow to parse)."""
    travellers = b"".join(b"TIF+TRAVELLER%d+NAME%dMR:A:%d'" % (i, i, i) for i in range(count))
    return (b"UNB+IATA:1+XX++240101:1200+1'UNH+1+PNRGOV:13:1:IA+1'MSG+:22'ORG+XX'"
            b"TVL+020124:1000:020124:1300+LHR+JFK+XX+100'EQN+1'SRC'RCI+XX:ABC123'" + travellers
            + b"UNT+10+1'UNZ+1+1'")


@pytest.fixture(scope="module")
def limiter() -> Iterator[ParseTimeLimit]:
    guard = ParseTimeLimit(limit_s=60.0, isolate_from_bytes=1024)
    yield guard
    guard.close()


def test_large_messages_parse_in_the_child_like_inline(limiter: ParseTimeLimit) -> None:
    payload = many_travellers(200)
    ctx = MessageContext(source="big.edi")
    assert [r.id for r in limiter.parse(payload, ctx)] == [r.id for r in parse_message(payload, ctx)]


def test_a_message_over_the_limit_becomes_a_dead_letter_and_the_next_one_parses(limiter: ParseTimeLimit) -> None:
    """Regression: an 8 MB PNR held the stream for minutes; there was no per-message limit."""
    limiter.limit_s = 0.001  # no real parse of this size answers within a millisecond
    try:
        (dead,) = process_message(many_travellers(5000), MessageContext(source="slow.edi"), time_limit=limiter)
    finally:
        limiter.limit_s = 60.0
    assert isinstance(dead, Rejection) and dead.reason == "parse.timeout" and dead.stage == "parse"
    assert "0.001 s" in dead.detail and dead.raw_size and dead.raw_size > 100_000
    assert limiter.timeouts == 1
    after = limiter.parse(many_travellers(100), MessageContext(source="next.edi"))
    assert sum(isinstance(r, Passenger) for r in after) == 100


def test_small_messages_stay_inline() -> None:
    guard = ParseTimeLimit(limit_s=0.000001, isolate_from_bytes=10_000_000)
    records = guard.parse(many_travellers(3), MessageContext(source="small.edi"))
    assert sum(isinstance(r, Passenger) for r in records) == 3 and guard._process is None
