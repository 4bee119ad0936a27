"""Property tests: mutated, truncated and re-encoded real samples never crash a parser.

Every input must yield records or exactly one Rejection with a reason code; a ``parser.error`` (an
exception the parser did not anticipate) counts as a failure, and so does any parse slower than a bound.
"""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds import PARSERS, MessageContext, parse_message
from schemas.records import Record, Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
SAMPLES = {
    path.relative_to(FEEDS).as_posix(): path.read_bytes()
    for path in sorted(FEEDS.rglob("*"))
    if path.is_file() and not path.name.upper().startswith(("LICENSE", "README"))
}
FORMATS = ["auto", *sorted(PARSERS)]
# A hang guard, not a speed figure (parser speed is measured in benchmarks/feed_parsing.py): generous
# enough for a shared, busy machine, short enough that a runaway parse fails instead of stalling CI.
HANG_GUARD_S = 30.0
CTX = MessageContext(source="property")
PROFILE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(payload: bytes, fmt: str = "auto") -> list[Record]:
    started = time.perf_counter()
    records = parse_message(payload, CTX, fmt)
    assert time.perf_counter() - started < HANG_GUARD_S
    assert records, "a parse returns records or a rejection, never nothing"
    rejections = [r for r in records if isinstance(r, Rejection)]
    for rejection in rejections:
        assert rejection.reason and rejection.reason != "parser.error", rejection.detail
        # A whole-message rejection stands alone; beside records, a dead letter names the part that failed.
        assert len(records) == 1 or rejection.part, rejection.detail
    return records


samples = st.sampled_from(sorted(SAMPLES))


@PROFILE
@given(name=samples, data=st.data())
def test_truncated_samples(name: str, data: st.DataObject) -> None:
    payload = SAMPLES[name]
    cut = data.draw(st.integers(min_value=0, max_value=len(payload)))
    check(payload[:cut])


@PROFILE
@given(name=samples, data=st.data())
def test_byte_mutations(name: str, data: st.DataObject) -> None:
    payload = bytearray(SAMPLES[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        position = data.draw(st.integers(min_value=0, max_value=len(payload) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from(list(b"'+:?*$<>&/\n\x00\xff\xe9AZ09 ")))
        if action == "replace":
            payload[position] = byte
        elif action == "insert":
            payload.insert(position, byte)
        elif len(payload) > 1:
            del payload[position]
    check(bytes(payload))


@PROFILE
@given(name=samples, data=st.data())
def test_slices_duplicated_or_removed(name: str, data: st.DataObject) -> None:
    payload = SAMPLES[name]
    start = data.draw(st.integers(min_value=0, max_value=len(payload)))
    end = data.draw(st.integers(min_value=start, max_value=min(len(payload), start + 400)))
    check(payload[:start] + payload[start:end] * data.draw(st.integers(0, 3)) + payload[end:])


@PROFILE
@given(
    name=samples,
    encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "utf-8-sig"]),
    fmt=st.sampled_from(FORMATS),
)
def test_reencoded_samples_under_every_format(name: str, encoding: str, fmt: str) -> None:
    text = SAMPLES[name].decode("utf-8", "replace") + "é"
    check(text.encode(encoding, "replace"), fmt)


@PROFILE
@given(payload=st.binary(max_size=2000), fmt=st.sampled_from(FORMATS))
@example(payload=b"UNB", fmt="paxlst")  # a UNB tag and nothing after it
@example(payload=b"UNB", fmt="pnrgov")
def test_arbitrary_bytes(payload: bytes, fmt: str) -> None:
    check(payload, fmt)


@PROFILE
@given(name=samples, fmt=st.sampled_from(FORMATS))
def test_every_sample_under_every_forced_format(name: str, fmt: str) -> None:
    check(SAMPLES[name], fmt)


def test_every_good_sample_parses_and_only_the_malformed_ones_are_rejected() -> None:
    rejected = {name for name, payload in SAMPLES.items() if isinstance(check(payload)[0], Rejection)}
    assert rejected == {"pnrgov/danglingMetaCharacter.edi"}  # pnrBadFormat.edi is read, with warnings
