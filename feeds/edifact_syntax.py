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
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import NamedTuple

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser, TokenIterator
from pydifact.tokenizer import Tokenizer

from feeds.base import ParseError, WarningLog
from feeds.edifact_charsets import decode_interchange
from feeds.payload_text import check_not_empty
from feeds.transport_envelope import locate, strip_envelope
from schemas.records import ParseWarning

# Characters that occur in ordinary free text (names, dates, phone numbers, e-mail addresses). A UNA
# that declares one of them as a separator makes the message ambiguous: a hyphen in a phone number
# would silently split a data element. Such interchanges are refused rather than misread.
AMBIGUOUS_SERVICE_CHARACTERS = frozenset("-./@ ,&()#0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
STRAY_LINE_BREAKS = str.maketrans("", "", "\r\n")


class Segment(NamedTuple):
    """One segment: its tag and its elements (each a tuple of components). A named tuple, because
    building one per segment is on the hot path of every parse and tuples are the cheapest immutable."""

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
    warnings: tuple[ParseWarning, ...] = ()  # what was tolerated in the interchange as a whole


EDIFACT_START = re.compile(rb"UN[AB]")
# Segment tags of the service segments and of the PAXLST and PNRGOV directories: a line that starts with one
# of them (and a separator) after a segment that was not terminated is taken as a new segment.
KNOWN_TAGS = frozenset(
    {
        "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ", "BGM", "RFF", "DTM", "NAD", "COM", "TDT", "LOC", "ATT", "NAT", "DOC",
        "CNT", "GEI", "FTX", "MEA", "QTY", "EMP", "CTA", "MSG", "ORG", "TVL", "EQN", "SRC", "RCI", "DAT", "IFT", "ADD",
        "TIF", "FTI", "REF", "FAR", "SSR", "TKT", "MON", "PTK", "TXD", "FOP", "PTS", "EBD", "TBD", "SSD", "RPI", "APD",
        "ABI", "SAC", "LTS", "TRI",
    }
)


TERMINATOR_LOOKALIKES = {"'": "\u2019\u2018\u00b4`"}


def sniff_edifact(payload: bytes, message_type: bytes) -> bool:
    head = payload[:2048]
    if message_type not in head:
        return False
    return locate(head, EDIFACT_START)


def _unb_separators(body: str) -> tuple[str, str, str] | None:
    """(component, data, terminator) as the UNB segment itself uses them: ``UNB<data>UNOA<component>4``
    and the character just before the next UNG/UNH tag."""
    at = body.find("UNB", 0, 40)
    if at < 0 or not body[at + 4 : at + 8].isalpha():
        return None
    data, component = body[at + 3], body[at + 8]
    following = re.search(r"(\S)\s*UN[GH]" + re.escape(data), body[at + 9 : at + 400])
    if following is None:
        return None
    return component, data, following.group(1)


def _repaired(text: str, problem: str, log: WarningLog | None) -> tuple[Characters, str] | None:
    """The service characters read from UNB when the UNA advice is missing or damaged, if that is
    unambiguous (three distinct characters, none of which occurs in free text); else None."""
    if log is None:
        return None
    at = text.find("UNB", 0, 40)
    separators = _unb_separators(text)
    if separators is None:
        return None
    component, data, terminator = separators
    if len({component, data, terminator}) < 3 or any(c in AMBIGUOUS_SERVICE_CHARACTERS for c in separators):
        return None
    advice = text[3:at] if text.startswith("UNA") else ""
    candidates = [c for c in advice[2:] if c not in separators and c not in AMBIGUOUS_SERVICE_CHARACTERS]
    if candidates:
        release = candidates[0]  # the advice's order is decimal mark, release, reserved
    elif not advice or "?" not in text[at:]:
        release = "?"  # the default; and with no '?' in the text, the release character changes nothing
    else:
        return None
    log.add(
        "edifact.una_repaired",
        f"{problem}; read the separators UNB uses: component {component!r}, data element {data!r}, "
        f"release {release!r}, segment terminator {terminator!r}",
    )
    return Characters.from_str(component + data + "." + release + " " + terminator), text[at:]


def _repaired_or_error(text: str, problem: str, log: WarningLog | None, reason: str) -> tuple[Characters, str]:
    """``_repaired``, or the rejection the damage stays when it cannot be repaired."""
    repaired = _repaired(text, problem, log)
    if repaired is None:
        raise ParseError(reason, problem)
    return repaired


def service_characters(text: str, log: WarningLog | None = None) -> tuple[Characters, str]:
    """The UNA advice (if any) and the text after it. With a warning log, a missing or damaged advice is
    repaired from the separators UNB uses when that is unambiguous."""
    if not text.startswith("UNA"):
        if log is not None and text.startswith("UNB") and text[3:4] not in ("+", ""):
            problem = f"no UNA, and UNB uses {text[3]!r} rather than the default data element separator '+'"
            repaired = _repaired(text, problem, log)
            if repaired is not None:
                return repaired
        return Characters(), text  # type: ignore[no-untyped-call]
    advice = text[3:9]
    line_break = next((i for i, char in enumerate(advice) if char in "\r\n"), None)
    if line_break == 5 and advice[4] not in AMBIGUOUS_SERVICE_CHARACTERS:
        used = _unb_separators(text)
        if used is not None and used != (advice[0], advice[1], advice[4]):
            problem = f"UNA advice {text[:8]!r} does not match the separators UNB uses"
            return _repaired_or_error(text, problem, log, "edifact.service_characters")
        if advice[2] in ".," and advice[3] == "?":
            # Decimal mark and the standard release character kept: the lost one is the reserved space.
            detail = f"UNA advice {text[:8]!r} has five characters; the reserved character taken as ' '"
            repaired_advice = advice[:4] + " " + advice[4]
        elif advice[2] in ".,":
            raise ParseError(
                "edifact.service_characters",
                f"UNA advice {text[:8]!r} has five characters but keeps its decimal mark, so the release "
                "character cannot be told from the reserved one; the UNA must be corrected",
            )
        else:
            # A known airline quirk: the decimal mark is left out, so the advice is five characters
            # (component, data, release, reserved, terminator) followed by a line break.
            detail = f"UNA advice {text[:8]!r} has five characters; the decimal mark taken as '.'"
            repaired_advice = advice[0] + advice[1] + "." + advice[2:5]
        if log is not None:
            log.add("edifact.una_repaired", detail)
        advice = repaired_advice
        rest = text[8:]
    elif line_break is not None or len(advice) < 6:
        problem = f"UNA service string advice is incomplete: {text[:9]!r}"
        return _repaired_or_error(text, problem, log, "edifact.syntax")
    else:
        rest = text[9:]
    component, data, release, terminator = advice[0], advice[1], advice[3], advice[5]
    for name, char in (
        ("component separator", component),
        ("data element separator", data),
        ("segment terminator", terminator),
    ):
        if char in AMBIGUOUS_SERVICE_CHARACTERS:
            problem = f"UNA declares {char!r} as {name}; it also occurs in free text, so the message is ambiguous"
            return _repaired_or_error(text, problem, log, "edifact.service_characters")
    if len({component, data, release, terminator}) < 4:
        problem = f"UNA service characters are not distinct: {advice!r}"
        return _repaired_or_error(text, problem, log, "edifact.service_characters")
    unb = rest.lstrip(" \t\r\n")
    if log is not None and unb.startswith("UNB") and unb[3:4] != data:
        problem = f"UNA declares {data!r} as data element separator but UNB uses {unb[3]!r}"
        repaired = _repaired(text[:3] + advice + unb, problem, log)
        if repaired is not None:
            return repaired
    return Characters.from_str(advice), rest


RawSegment = tuple[tuple[str, ...], ...]  # the tag is the first element


def _element(components: list[str]) -> tuple[str, ...]:
    # Trailing empty components carry nothing (``ET:481644:::``); pydifact drops them too.
    while len(components) > 1 and not components[-1]:
        components.pop()
    return tuple(components)


@dataclass
class TerminatorRepair:
    """Ends a segment whose terminator was lost at a line break, when the next line starts with a known tag.

    Line breaks inside a segment are otherwise line wrapping and removed, which merges the two segments
    silently. Only a line that starts with a segment tag of these directories, followed by the data element
    separator (or nothing, as in ``SRC'``), starts a new segment; a curly quote left where the apostrophe
    terminator belongs is dropped. Only segments that hold a line break are looked at, so clean messages
    cost nothing. ``found`` says where segments were split, for the warning."""

    data: str
    terminator: str
    tags: frozenset[str]
    found: list[str] = field(default_factory=list)

    def split(self, text: str, number: int) -> list[str]:
        """The segment text ``text`` (segment ``number``, with a line break) as one or more segments."""
        lines = text.splitlines()
        pieces = [lines[0]]
        for line in lines[1:]:
            head = line.lstrip(" \t")
            if head[:3] in self.tags and head[3:4] in ("", self.data):
                previous = pieces[-1].rstrip(" \t")
                if previous[-1:] in TERMINATOR_LOOKALIKES.get(self.terminator, ""):
                    previous = previous[:-1]
                    self.found.append(f"segment {number + len(pieces)} {previous[:3]} (ended by a curly quote)")
                else:
                    self.found.append(f"segment {number + len(pieces)} {previous[:3]} before {head[:3]}")
                pieces[-1] = previous
                pieces.append(head)
            else:
                pieces[-1] += line
        return pieces


def scan_segments(text: str, characters: Characters, repair: TerminatorRepair | None = None) -> list[RawSegment]:
    """Split an interchange (after UNA) into segments, elements and components.

    The same result as pydifact's tokenizer and raw-segment assembly (``pydifact_segments``, which the
    tests compare it with), found with a regular expression instead of character by character, which is
    an order of magnitude faster. Raises ``EDISyntaxError`` where pydifact does, and also on a final
    segment without terminator (which pydifact silently drops).
    """
    component, data = characters.component_separator, characters.data_separator
    release, terminator = characters.escape_character, characters.segment_terminator
    if release not in text:
        return _split_without_release(text, component, data, terminator, repair)
    protected = _protect_escapes(text, characters)
    if protected is not None:
        escaped = ESCAPED_BACK[component + data + release + terminator]
        return _split_without_release(protected, component, data, terminator, repair, escaped)
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
            if "\n" not in piece and "\r" not in piece:
                pieces.append(piece)
            elif repair is not None and char in (data, terminator):
                # A line break inside a segment: wrapping, or a lost terminator before a known tag.
                parts = repair.split(piece, len(segments) + 1)
                pieces.append(parts[0])
                if len(parts) > 1:
                    elements.append(_element([*components, "".join(pieces)]))
                    segments.append(tuple(elements))
                    segments.extend(((tag,),) for tag in parts[1:-1])
                    elements, components, pieces = [], [], [parts[-1]]
            else:
                pieces.append(piece.translate(STRAY_LINE_BREAKS))
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


# Escaped service characters (``?+``, ``?:``, ``?'``, ``??``) stand in for themselves during splitting as
# private-use characters, so that escaped text takes the fast ``str.split`` path too.
PLACEHOLDERS = "\ue000\ue001\ue002\ue003"


class _EscapedBack(dict[str, dict[int, str]]):
    """Per service characters (component, data, release, terminator as one string): the table that turns
    placeholders back into the characters they stand for."""

    def __missing__(self, chars: str) -> dict[int, str]:
        table = {ord(placeholder): char for placeholder, char in zip(PLACEHOLDERS, chars, strict=True)}
        self[chars] = table
        return table


ESCAPED_BACK = _EscapedBack()


def _protect_escapes(text: str, characters: Characters) -> str | None:
    """``text`` with every escaped service character replaced by its placeholder, or None when the text has
    escapes the fast path does not reproduce exactly (a release before any other character or a line
    break, or at the very end) or already holds a placeholder."""
    if not text.isascii() and any(placeholder in text for placeholder in PLACEHOLDERS):
        return None
    release = characters.escape_character
    protected = text.replace(release + release, PLACEHOLDERS[2])
    for placeholder, char in (
        (PLACEHOLDERS[0], characters.component_separator),
        (PLACEHOLDERS[1], characters.data_separator),
        (PLACEHOLDERS[3], characters.segment_terminator),
    ):
        protected = protected.replace(release + char, placeholder)
    return None if release in protected else protected


def _split_without_release(
    text: str,
    component: str,
    data: str,
    terminator: str,
    repair: TerminatorRepair | None = None,
    escaped: dict[int, str] | None = None,
) -> list[RawSegment]:
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
            if repair is not None:
                *complete, body = repair.split(body, len(segments) + 1)
                segments.extend(_elements(piece, component, data, escaped) for piece in complete)
            body = body.translate(STRAY_LINE_BREAKS)
        if not body and number == last and number:
            continue  # a doubled terminator at the very end is ignored
        segments.append(_elements(body, component, data, escaped))
    return segments


def _elements(body: str, component: str, data: str, escaped: dict[int, str] | None = None) -> RawSegment:
    """One segment's elements and components (list comprehensions: this is the hot loop of every parse);
    ``escaped`` turns the placeholders of escaped characters back into those characters."""
    segment: RawSegment
    if component not in body:
        segment = tuple([(element,) for element in body.split(data)])
    else:
        segment = tuple([_element(e.split(component)) if component in e else (e,) for e in body.split(data)])
    if escaped is not None and not body.isascii():  # placeholders are not ASCII: an O(1) check first
        return tuple(tuple(part.translate(escaped) for part in element) for element in segment)
    return segment


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
    text: str,
    characters: Characters,
    scanner: Callable[[str, Characters], list[RawSegment]] = scan_segments,
    warnings: WarningLog | None = None,
) -> list[Segment]:
    """Segments with validated tags, or ``ParseError`` (edifact.syntax).

    With a warning log, fragments that are not segments (a stray ``L'`` between two segments) are skipped
    and named in a warning, unless they outnumber the segments: then the text is not EDIFACT at all."""
    try:
        raw_segments = scanner(text, characters)
    except EDISyntaxError as exc:
        raise ParseError("edifact.syntax", str(exc)) from exc
    segments: list[Segment] = []
    junk: list[str] = []
    new_segment, known = tuple.__new__, KNOWN_TAGS  # the hot loop: the common tags in one set lookup
    for elements in raw_segments:
        tag = elements[0][0] if elements and elements[0] else ""
        if tag in known:
            segments.append(new_segment(Segment, (tag, elements[1:])))
            continue
        tag = tag.strip()
        if not (len(tag) == 3 and tag.isalnum() and tag.isupper()):
            where = f" after segment {segments[-1].tag} (#{len(segments)})" if segments else ""
            fragment = characters.data_separator.join(characters.component_separator.join(e) for e in elements)
            if warnings is None:
                raise ParseError("edifact.syntax", f"segment {len(segments) + 1}: invalid tag {tag[:20]!r}{where}")
            junk.append(f"{fragment[:30]!r}{where}")
            continue
        segments.append(Segment(tag, elements[1:]))
    if junk and warnings is not None:
        if len(junk) > len(segments):
            raise ParseError(
                "edifact.syntax",
                f"{len(junk)} of {len(junk) + len(segments)} fragments are not segments (first: {junk[0]}); "
                "the text is not a readable EDIFACT interchange",
            )
        shown = "; ".join(junk[:5]) + (f"; and {len(junk) - 5} more" if len(junk) > 5 else "")
        warnings.add("edifact.junk_skipped", f"skipped {len(junk)} fragment(s) that are not segments: {shown}")
    return segments


def trim_after_unz(body: str, characters: Characters, log: WarningLog) -> str:
    """The interchange up to the end of UNZ: text after it is ignored, and a final segment without its
    terminator is ended by the end of input (both with a warning)."""
    terminator, release = characters.segment_terminator, characters.escape_character
    stripped = body.rstrip(" \t\r\n\x1a")
    if stripped.endswith(terminator) and not stripped.endswith(release + terminator):
        unz = stripped.rfind("UNZ" + characters.data_separator, max(len(stripped) - 120, 0))
        if unz >= 0 and stripped.find(terminator, unz) == len(stripped) - 1:
            return body  # the common case: the last segment is a terminated UNZ
    at = _last_unz(stripped, characters)
    if at < 0:
        last = stripped.rfind(terminator)
        tail = stripped[last + 1 :].strip()
        if tail and re.match(r"[A-Z0-9]{3}(\W|$)", tail):
            detail = f"final segment {tail[:3]} has no terminator; ended at end of input"
            log.add("edifact.unterminated_final_segment", detail)
            return stripped + terminator
        return body
    end = stripped.find(terminator, at)
    if end < 0:
        line_end = next((i for i in (stripped.find("\n", at), stripped.find("\r", at)) if i >= 0), len(stripped))
        end_text = min(line_end, len(stripped))
        detail = "final segment UNZ has no terminator; ended at the end of its line"
        log.add("edifact.unterminated_final_segment", detail)
        tail = stripped[end_text:].strip()
        stripped = stripped[:end_text].rstrip() + terminator
    else:
        tail = stripped[end + 1 :].strip()
        stripped = stripped[: end + 1]
    if tail:
        log.add("edifact.text_after_unz", f"{len(tail)} characters after UNZ ignored: {tail[:40]!r}")
    return stripped


def _last_unz(text: str, characters: Characters) -> int:
    """Where the last UNZ segment starts (after a terminator and blanks), or -1."""
    needle = "UNZ" + characters.data_separator
    at = text.rfind(needle)
    while at > 0:
        before = text[:at].rstrip(" \t\r\n")
        if not before or before.endswith(characters.segment_terminator):
            return at
        at = text.rfind(needle, 0, at)
    return at


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


def _count_check(log: WarningLog, what: str, stated: str, actual: int) -> None:
    value = stated.strip()
    if not (value.isdigit() and int(value) == actual):
        log.add("edifact.count_mismatch", f"{what} states {stated.strip() or 'no count'!r}, found {actual}")


def _reference_check(log: WarningLog, what: str, stated: str, expected: str) -> None:
    if stated.strip() != expected.strip():
        detail = f"{what} reference {stated.strip()!r} does not match {expected.strip()!r}"
        log.add("edifact.reference_mismatch", detail)


def _message(header: Segment, body: list[Segment], trailer: Segment | None, log: WarningLog) -> EdifactMessage:
    reference = header.component(0, 0)
    if trailer is not None:
        _count_check(log, f"UNT of message {reference}", trailer.component(0, 0), len(body) + 2)
        _reference_check(log, f"UNT of message {reference}", trailer.component(1, 0), reference)
    return EdifactMessage(
        message_type=header.component(1, 0).upper(),
        version=":".join(part for part in header.element(1)[1:3] if part),
        reference=reference,
        segments=tuple(body),
    )


def _messages(segments: list[Segment], unb: Segment, log: WarningLog) -> list[EdifactMessage]:
    """The UNH ... UNT messages, with the envelope's counts and references checked (mismatches are warnings)."""
    messages: list[EdifactMessage] = []
    current: list[Segment] | None = None
    header: Segment | None = None
    group: tuple[Segment, int] | None = None  # the open UNG and the number of messages before it
    groups, outside = 0, []
    for number, segment in enumerate(segments[1:-1], start=2):
        if segment.tag == "UNH":
            if current is not None:
                detail = f"UNH (segment {number}) before the previous message was closed by UNT"
                raise ParseError("edifact.syntax", detail)
            current, header = [], segment
        elif segment.tag == "UNT":
            if current is None or header is None:
                raise ParseError("edifact.syntax", f"UNT (segment {number}) without a matching UNH")
            messages.append(_message(header, current, segment, log))
            current, header = None, None
        elif current is not None:
            current.append(segment)
        elif segment.tag == "UNG":
            group, groups = (segment, len(messages)), groups + 1
        elif segment.tag == "UNE":
            if group is not None:
                _count_check(log, "UNE", segment.component(0, 0), len(messages) - group[1])
                _reference_check(log, "UNE", segment.component(1, 0), group[0].component(4, 0))
            group = None
        else:
            outside.append(f"{segment.tag} (segment {number})")
    if current is not None:
        raise ParseError("edifact.truncated", f"message {header.component(0, 0) if header else ''} not closed by UNT")
    if outside:
        log.add("edifact.segment_outside_message", "skipped segments between messages: " + ", ".join(outside[:5]))
    unz = segments[-1]
    if unz.elements:  # not when UNZ was missing
        _count_check(log, "UNZ", unz.component(0, 0), groups or len(messages))
        _reference_check(log, "UNZ", unz.component(1, 0), unb.component(4, 0))
    return messages


def read_interchange(payload: bytes, expected_type: str) -> Interchange:
    """Bytes to an interchange of ``expected_type`` messages, or ``ParseError``.

    What is tolerated (each a warning on the interchange): a transport envelope, an encoding other than
    the declared one, a missing or damaged UNA that UNB repairs, a terminator lost at a line break, fragments
    that are not segments, text after UNZ or a final segment without terminator, a missing UNZ after complete
    messages, and counts or references in UNT/UNE/UNZ that do not match."""
    check_not_empty(payload)
    log = WarningLog()
    text = decode_interchange(strip_envelope(payload, EDIFACT_START, log), log).lstrip(" \t\r\n")
    characters, body = service_characters(text, log)
    body = trim_after_unz(body.lstrip(" \t\r\n"), characters, log)
    repair = TerminatorRepair(characters.data_separator, characters.segment_terminator, KNOWN_TAGS)
    segments = read_segments(body, characters, partial(scan_segments, repair=repair), warnings=log)
    if repair.found:
        shown = ", ".join(repair.found[:5]) + (f" and {len(repair.found) - 5} more" if len(repair.found) > 5 else "")
        detail = f"segment terminator {characters.segment_terminator!r} missing at a line break; split {shown}"
        log.add("edifact.missing_terminator", detail)
    if not segments or segments[0].tag != "UNB":
        first = segments[0].tag if segments else "nothing"
        raise ParseError("edifact.syntax", f"interchange must start with UNB, found {first}")
    unb = segments[0]
    if segments[-1].tag != "UNZ":
        if segments[-1].tag not in ("UNT", "UNE"):
            raise ParseError(
                "edifact.truncated", f"interchange does not end with UNZ (last segment {segments[-1].tag})"
            )
        detail = f"interchange ends after {segments[-1].tag} without UNZ; its messages are complete"
        log.add("edifact.missing_unz", detail)
        segments.append(Segment("UNZ", ()))
    messages = _messages(segments, unb, log)
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
        warnings=tuple(log.items),
    )
