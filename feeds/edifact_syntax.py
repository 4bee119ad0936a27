"""UN/EDIFACT interchanges as plain segments: the envelope PAXLST and PNRGOV share.

PAXLST and PNRGOV share the envelope (UNA, UNB, UNG, UNH ... UNT, UNE, UNZ), the service string
advice and the release character. This module turns bytes into ``EdifactMessage`` values whose
segments are tuples of tuples of strings, so the format parsers only deal with meaning.

pydifact supplies the service characters (``Characters``) and the reference tokenizer
(``pydifact_segments``). The hot path, ``scan_segments``, gives the same segments about ten times
faster; the tests hold the two equal on the samples and on mutated interchanges. pydifact's segment
factory is not used: it rejects the leading blanks some airline systems put before tags (`` UNB``)
and validates against directories that PAXLST/PNRGOV do not use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser, TokenIterator
from pydifact.tokenizer import Tokenizer

from feeds.base import ParseError
from feeds.payload_text import check_not_empty, decode_text

# Characters that occur in ordinary free text (names, dates, phone numbers, e-mail addresses). A UNA
# that declares one of them as a separator makes the message ambiguous: a hyphen in a phone number
# would silently split a data element. Such interchanges are refused rather than misread.
AMBIGUOUS_SERVICE_CHARACTERS = frozenset("-./@ ,&()#0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Latin-1 is allowed only when UNB declares a syntax level that is not plain ASCII.
LATIN1_SYNTAX_LEVELS = frozenset({"UNOC", "UNOD", "UNOE", "UNOF", "UNOW", "UNOY"})
STRAY_LINE_BREAKS = str.maketrans("", "", "\r\n")


@dataclass(frozen=True)
class Segment:
    tag: str
    elements: tuple[tuple[str, ...], ...]

    def component(self, element: int, component: int = 0) -> str:
        """One component (``""`` when absent); indexes count from 0 after the tag."""
        if element >= len(self.elements):
            return ""
        parts = self.elements[element]
        return parts[component].strip() if component < len(parts) else ""

    def element(self, element: int) -> tuple[str, ...]:
        return self.elements[element] if element < len(self.elements) else ()


@dataclass(frozen=True)
class EdifactMessage:
    message_type: str
    version: str
    reference: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Interchange:
    characters: str
    syntax: str
    sender: str
    prepared_at: datetime | None
    control_reference: str
    messages: tuple[EdifactMessage, ...]


def sniff_edifact(payload: bytes, message_type: bytes) -> bool:
    head = payload[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:3] in (b"UNA", b"UNB") and message_type in head


def service_characters(text: str) -> tuple[Characters, str]:
    """The UNA advice (if any) and the text after it."""
    if not text.startswith("UNA"):
        return Characters(), text  # type: ignore[no-untyped-call]
    advice = text[3:9]
    line_break = next((i for i, char in enumerate(advice) if char in "\r\n"), None)
    if line_break == 5 and advice[4] not in AMBIGUOUS_SERVICE_CHARACTERS:
        # A known airline quirk: the decimal mark is left out, so the advice is five characters
        # (component, data, release, reserved, terminator) followed by a line break.
        advice = advice[0] + advice[1] + "." + advice[2:5]
        rest = text[8:]
    elif line_break is not None or len(advice) < 6:
        raise ParseError("edifact.syntax", f"UNA service string advice is incomplete: {text[:9]!r}")
    else:
        rest = text[9:]
    component, data, release, terminator = advice[0], advice[1], advice[3], advice[5]
    for name, char in (
        ("component separator", component),
        ("data element separator", data),
        ("segment terminator", terminator),
    ):
        if char in AMBIGUOUS_SERVICE_CHARACTERS:
            raise ParseError(
                "edifact.service_characters",
                f"UNA declares {char!r} as {name}; it also occurs in free text, so the message is ambiguous",
            )
    if len({component, data, release, terminator}) < 4:
        raise ParseError("edifact.service_characters", f"UNA service characters are not distinct: {advice!r}")
    return Characters.from_str(advice), rest


RawSegment = tuple[tuple[str, ...], ...]  # the tag is the first element


def _element(components: list[str]) -> tuple[str, ...]:
    # Trailing empty components carry nothing (``ET:481644:::``); pydifact drops them too.
    while len(components) > 1 and not components[-1]:
        components.pop()
    return tuple(components)


def scan_segments(text: str, characters: Characters) -> list[RawSegment]:
    """Split an interchange (after UNA) into segments, elements and components.

    The same result as pydifact's tokenizer and raw-segment assembly (``pydifact_segments``, which the
    tests compare it with), found with a regular expression instead of character by character, which is
    an order of magnitude faster. Raises ``EDISyntaxError`` where pydifact does, and also on a final
    segment without terminator (which pydifact silently drops).
    """
    component, data = characters.component_separator, characters.data_separator
    release, terminator = characters.escape_character, characters.segment_terminator
    if release not in text:
        return _split_without_release(text, component, data, terminator)
    special = re.compile("[" + re.escape(component + data + release + terminator) + "]")
    segments: list[RawSegment] = []
    elements: list[tuple[str, ...]] = []
    components: list[str] = []
    pieces: list[str] = []
    position, end, open_segment = 0, len(text), False
    while position < end:
        found = special.search(text, position)
        if found is None:
            raise EDISyntaxError(
                f"Unexpected end of EDI messages: text after segment {len(segments)} "
                f"has no segment terminator {terminator!r}"
            )
        index = found.start()
        char = text[index]
        if index > position:
            piece = text[position:index]
            pieces.append(piece.translate(STRAY_LINE_BREAKS) if "\n" in piece or "\r" in piece else piece)
        open_segment = True
        if char == release:
            if index + 1 >= end:
                raise EDISyntaxError("Unexpected end of EDI messages.")
            if text[index + 1] == "\n":
                raise EDISyntaxError("Newlines after escape characters are not allowed.")
            if text[index + 1] != "\r":
                pieces.append(text[index + 1])
            position = index + 2
            continue
        components.append("".join(pieces))
        pieces = []
        position = index + 1
        if char == component:
            continue
        elements.append(_element(components))
        components = []
        if char == data:
            continue
        while position < end and text[position] in " \r\n":
            position += 1
        if elements != [("",)] or position < end:  # a doubled terminator at the very end is ignored
            segments.append(tuple(elements))
        elements, open_segment = [], False
    if open_segment:
        raise EDISyntaxError(f"Unexpected end of EDI messages: segment {len(segments) + 1} is not terminated")
    return segments


def _split_without_release(text: str, component: str, data: str, terminator: str) -> list[RawSegment]:
    """``scan_segments`` for the common case of no release character at all: plain ``str.split``."""
    parts = text.split(terminator)
    if parts.pop().lstrip(" \r\n"):
        raise EDISyntaxError(
            f"Unexpected end of EDI messages: text after segment {len(parts)} has no segment terminator {terminator!r}"
        )
    last = len(parts) - 1
    segments: list[RawSegment] = []
    for number, part in enumerate(parts):
        body = part.lstrip(" \r\n") if number else part
        if "\n" in body or "\r" in body:  # line breaks inside a segment are wrapping, not content
            body = body.translate(STRAY_LINE_BREAKS)
        if not body and number == last and number:
            continue  # a doubled terminator at the very end is ignored
        segments.append(tuple(_element(element.split(component)) for element in body.split(data)))
    return segments


def pydifact_segments(text: str, characters: Characters) -> list[RawSegment]:
    """The reference: pydifact's own tokenizer and raw-segment assembly, in ``scan_segments``' shape."""
    tokens = TokenIterator(Tokenizer().get_tokens(text, characters))
    return [
        tuple(
            tuple(part.translate(STRAY_LINE_BREAKS) for part in ((element,) if isinstance(element, str) else element))
            for element in raw
        )
        for raw in Parser().convert_tokens_to_raw_segments(tokens)
    ]


def read_segments(
    text: str, characters: Characters, scanner: Callable[[str, Characters], list[RawSegment]] = scan_segments
) -> list[Segment]:
    """Segments with validated tags, or ``ParseError`` (edifact.syntax)."""
    try:
        raw_segments = scanner(text, characters)
    except EDISyntaxError as exc:
        raise ParseError("edifact.syntax", str(exc)) from exc
    segments: list[Segment] = []
    for elements in raw_segments:
        tag = elements[0][0].strip() if elements and elements[0] else ""
        if not (len(tag) == 3 and tag.isalnum() and tag.isupper()):
            where = f" after segment {segments[-1].tag} (#{len(segments)})" if segments else ""
            raise ParseError("edifact.syntax", f"segment {len(segments) + 1}: invalid tag {tag[:20]!r}{where}")
        segments.append(Segment(tag, elements[1:]))
    return segments


def _prepared_at(unb: Segment) -> datetime | None:
    date, time = unb.component(3, 0), unb.component(3, 1)
    try:
        if len(date) == 6:
            return datetime.strptime(date + (time or "0000"), "%y%m%d%H%M")
        if len(date) == 8:
            return datetime.strptime(date + (time or "0000"), "%Y%m%d%H%M")
    except ValueError:
        return None
    return None


def read_interchange(payload: bytes, expected_type: str) -> Interchange:
    """Bytes to an interchange of ``expected_type`` messages, or ``ParseError``."""
    check_not_empty(payload)
    head = payload[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    syntax_hint = head[head.find(b"UNB") + 4 :][:4].decode("ascii", "replace") if b"UNB" in head else ""
    text = decode_text(payload, latin1_allowed=syntax_hint in LATIN1_SYNTAX_LEVELS).lstrip(" \t\r\n")
    characters, body = service_characters(text)
    segments = read_segments(body.lstrip(" \t\r\n"), characters)
    if not segments or segments[0].tag != "UNB":
        first = segments[0].tag if segments else "nothing"
        raise ParseError("edifact.syntax", f"interchange must start with UNB, found {first}")
    unb = segments[0]
    if segments[-1].tag != "UNZ":
        raise ParseError("edifact.truncated", f"interchange does not end with UNZ (last segment {segments[-1].tag})")
    messages: list[EdifactMessage] = []
    current: list[Segment] | None = None
    header: Segment | None = None
    for segment in segments[1:-1]:
        if segment.tag == "UNH":
            if current is not None:
                raise ParseError("edifact.syntax", "UNH before the previous message was closed by UNT")
            current, header = [], segment
        elif segment.tag == "UNT":
            if current is None or header is None:
                raise ParseError("edifact.syntax", "UNT without a matching UNH")
            messages.append(
                EdifactMessage(
                    message_type=header.component(1, 0).upper(),
                    version=":".join(part for part in header.element(1)[1:3] if part),
                    reference=header.component(0, 0),
                    segments=tuple(current),
                )
            )
            current, header = None, None
        elif current is not None:
            current.append(segment)
        elif segment.tag not in ("UNG", "UNE"):
            raise ParseError("edifact.syntax", f"segment {segment.tag} outside a message")
    if current is not None:
        raise ParseError("edifact.truncated", "message not closed by UNT")
    if not messages:
        raise ParseError("edifact.no_message", "interchange holds no UNH/UNT message")
    for message in messages:
        if message.message_type != expected_type:
            raise ParseError(
                "edifact.wrong_message_type",
                f"expected {expected_type}, found {message.message_type or 'no type'}",
            )
    return Interchange(
        characters=str(characters),
        syntax=unb.component(0, 0),
        sender=unb.component(1, 0),
        prepared_at=_prepared_at(unb),
        control_reference=unb.component(4, 0),
        messages=tuple(messages),
    )
