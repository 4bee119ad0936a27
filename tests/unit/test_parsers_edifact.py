"""The EDIFACT scanner against pydifact's tokenizer, the reference, on real and mutated interchanges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydifact.control.characters import Characters

from feeds.base import ParseError
from feeds.edifact_syntax import (
    RawSegment,
    pydifact_segments,
    read_segments,
    scan_segments,
    service_characters,
)

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
SAMPLES = {
    p.name: p.read_text("utf-8") for folder in ("paxlst", "pnrgov") for p in sorted((FEEDS / folder).glob("*.edi"))
}
READABLE = sorted(name for name in SAMPLES if name not in ("danglingMetaCharacter.edi",))


def split(text: str) -> tuple[str, Characters]:
    characters, body = service_characters(text.lstrip(" \t\r\n"))
    return body.lstrip(" \t\r\n"), characters


def outcome(scanner: Callable[[str, Characters], list[RawSegment]], body: str, characters: Characters) -> object:
    """The segments read, with trailing empty components dropped (the syntax lets a sender omit them, so
    "232:" and "232" say the same; pydifact keeps one before a line break), or "error"."""
    try:
        segments = read_segments(body, characters, scanner)
    except ParseError:
        return "error"
    return [(segment.tag, tuple(_without_trailing_empty(e) for e in segment.elements)) for segment in segments]


def _without_trailing_empty(components: tuple[str, ...]) -> tuple[str, ...]:
    end = len(components)
    while end > 1 and components[end - 1] == "":
        end -= 1
    return components[:end]


@pytest.mark.parametrize("name", READABLE)
def test_same_segments_as_pydifact_on_samples(name: str) -> None:
    body, characters = split(SAMPLES[name])
    assert outcome(scan_segments, body, characters) == outcome(pydifact_segments, body, characters)


@settings(max_examples=120, deadline=None)
@given(name=st.sampled_from(READABLE), data=st.data())
def test_same_segments_as_pydifact_on_mutations(name: str, data: st.DataObject) -> None:
    try:
        body, characters = split(SAMPLES[name])
    except ParseError:
        return
    chars = list(body)
    special = [
        characters.component_separator,
        characters.data_separator,
        characters.escape_character,
        characters.segment_terminator,
        "\n",
        " ",
        "A",
    ]
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        chars.insert(position, data.draw(st.sampled_from(special)))
    if data.draw(st.booleans()):
        chars = chars[: data.draw(st.integers(0, len(chars)))]
    text = "".join(chars)
    fast, reference = outcome(scan_segments, text, characters), outcome(pydifact_segments, text, characters)
    if fast == "error" and reference != "error":
        # Stricter on one point only: pydifact silently drops a final segment without terminator.
        assert not text.rstrip(" \r\n").endswith(characters.segment_terminator) or text.endswith(
            characters.escape_character + characters.segment_terminator
        )
    else:
        assert fast == reference
