"""Off-spec variants of clean feed messages: the damage real transport and real senders do.

Each kind of damage is a function from a clean message to a ``Variant``: the damaged bytes, the message
the parser should read the same records from (usually the clean one; for a changed character set, the
same text in UTF-8), and the warning code the parser must record. A damage that does not apply to a
message (no UNA to damage, no line layout to lose a terminator in) returns None. ``position`` picks where
the damage lands when there is a choice, so property tests can draw it and the evaluation can seed it.

Used by the property tests (every damage, every sample: same records plus the warning) and by
``benchmarks/off_spec_corpus.py`` (how many variants still yield their records).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    damage: str
    damaged: bytes
    reference: bytes  # the message whose records the damaged one must still yield
    warning: str | None  # the warning code the parser must record (None: the variant is legal, no warning)
    rejection_allowed: str | None = None  # a reason prefix: the damage may be beyond unambiguous repair


Damage = Callable[[bytes, int], "Variant | None"]


@dataclass(frozen=True)
class EdifactCharacters:
    component: str
    data: str
    release: str
    terminator: str


def edifact_characters(payload: bytes) -> EdifactCharacters | None:
    text = payload.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("UNA") and len(text) >= 9:
        if text[8] in "\r\n":  # the five-character advice some airlines send (no decimal mark)
            return EdifactCharacters(text[3], text[4], text[5], text[7])
        return EdifactCharacters(text[3], text[4], text[6], text[8])
    if text.startswith("UNB"):
        return EdifactCharacters(":", "+", "?", "'")
    return None


def _terminators(text: str, chars: EdifactCharacters) -> list[int]:
    """Positions of the segment terminators that end a segment (not escaped, not inside UNA)."""
    start = 9 if text.startswith("UNA") else 0
    return [
        i for i in range(start, len(text)) if text[i] == chars.terminator and (i == 0 or text[i - 1] != chars.release)
    ]


def _edifact(payload: bytes) -> tuple[str, EdifactCharacters] | None:
    chars = edifact_characters(payload)
    if chars is None:
        return None
    try:
        return payload.decode("utf-8"), chars
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------------------------------------
# EDIFACT

EdifactEdit = Callable[[str, EdifactCharacters, int], "str | None"]


def _edifact_damage(name: str, warning: str, rejection_allowed: str | None = None) -> Callable[[EdifactEdit], Damage]:
    """A damage from an edit of the interchange text (given its service characters and the position)."""

    def wrap(edit: EdifactEdit) -> Damage:
        def damage(payload: bytes, position: int) -> Variant | None:
            read = _edifact(payload)
            damaged = edit(*read, position) if read is not None else None
            if damaged is None:
                return None
            return Variant(name, damaged.encode(), payload, warning, rejection_allowed)

        damage.__doc__ = edit.__doc__
        return damage

    return wrap


def codepage_name(payload: bytes, position: int) -> Variant | None:
    """One letter of a traveller's name typed on a Windows terminal: a cp1252 byte in the interchange."""
    read = _edifact(payload)
    if read is None:
        return None
    text, chars = read
    names = [m for m in re.finditer(r"(?:NAD|TIF)" + re.escape(chars.data) + r"[^A-Z]*([A-Z]{3,})", text)]
    if not names:
        return None
    found = names[position % len(names)]
    at = found.start(1) + 1
    changed = text[:at] + "\u00e9" + text[at + 1 :]
    return Variant("codepage_name", changed.encode("cp1252"), changed.encode("utf-8"), "encoding.fallback")


def type_b_envelope(payload: bytes, position: int) -> Variant | None:
    """The message as a Type-B network delivers it: address and origin lines, STX/ETX framing."""
    addresses = ("QU HDQRMXH", "QK BRUAPXH LONKKBA", "QD SELFMXH")
    header = f"\x01{addresses[position % len(addresses)]}\r\n.HDQRMJL 07{position % 24:02d}00\r\n\x02"
    return Variant("type_b_envelope", header.encode() + payload + b"\r\n\x03", payload, "envelope.stripped")


def log_prefix(payload: bytes, position: int) -> Variant | None:
    """The message as exported from a gateway's log: a timestamped prefix on its first line."""
    prefix = f"2026-12-07 02:{position % 60:02d}:17,418 INFO inbound.queue received: "
    return Variant("log_prefix", prefix.encode() + payload.lstrip(b"\xef\xbb\xbf \t\r\n"), payload, "envelope.stripped")


@_edifact_damage("unterminated_final_segment", "edifact.unterminated_final_segment")
def unterminated_final_segment(text: str, chars: EdifactCharacters, position: int) -> str | None:
    """The last terminator (after UNZ) lost."""
    body = text.rstrip(" \t\r\n")
    if not body.endswith(chars.terminator):
        return None
    return body[:-1] + text[len(body) :]


def text_after_unz(payload: bytes, position: int) -> Variant | None:
    """A trailer after UNZ (a transmission note, a second copy's first line)."""
    if _edifact(payload) is None:
        return None
    trailers = (b"\r\nEND OF TRANSMISSION\r\n", b"\nNNNN-- message 42 ends --\n", b"\n=== 12 segments ===\n")
    return Variant("text_after_unz", payload + trailers[position % len(trailers)], payload, "edifact.text_after_unz")


@_edifact_damage("junk_fragment", "edifact.junk_skipped")
def junk_fragment(text: str, chars: EdifactCharacters, position: int) -> str | None:
    """A lone stub such as ``L'`` between two segments."""
    ends = _terminators(text, chars)[1:-2]  # between UNB and UNZ
    if not ends:
        return None
    at = ends[position % len(ends)] + 1
    return text[:at] + "L" + chars.terminator + text[at:]


@_edifact_damage("unt_count", "edifact.count_mismatch")
def unt_count(text: str, chars: EdifactCharacters, position: int) -> str | None:
    """UNT's segment count replaced by 9999."""
    found = re.search(r"UNT" + re.escape(chars.data) + r"(\d+)", text)
    if found is None:
        return None
    return text[: found.start(1)] + "9999" + text[found.end(1) :]


@_edifact_damage("lost_terminator", "edifact.missing_terminator")
def lost_terminator(text: str, chars: EdifactCharacters, position: int) -> str | None:
    """A segment terminator lost at a line end, so the next segment starts on the next line unannounced."""
    candidates = [
        m.start()
        for m in re.finditer(re.escape(chars.terminator) + r"\r?\n(?=[A-Z]{3}" + re.escape(chars.data) + ")", text)
        if m.start() > 0 and text[m.start() - 1] != chars.release and not text.startswith("UNA", max(m.start() - 8, 0))
    ]
    candidates = [c for c in candidates if "UNA" not in text[max(c - 9, 0) : c]]
    if not candidates:
        return None
    at = candidates[position % len(candidates)]
    return text[:at] + text[at + 1 :]


@_edifact_damage("damaged_una", "edifact.una_repaired", rejection_allowed="edifact.")
def damaged_una(text: str, chars: EdifactCharacters, position: int) -> str | None:
    """The UNA service string advice cut short (one of its six characters lost)."""
    if not text.startswith("UNA"):
        return None
    lost = 3 + position % 6
    return text[:lost] + text[lost + 1 :]


# ---------------------------------------------------------------------------------------------
# Cargo-IMP and ENS


def untagged_parties(payload: bytes, position: int) -> Variant | None:
    """FWB shipper and consignee rewritten in the untagged layout (``/name``, ``/street``, ``/place``, ``/CC``).

    Only blocks with one name line and one street line are rewritten: the untagged layout has no
    continuation lines, so longer blocks have no untagged equivalent."""
    text = payload.decode("latin-1")
    if not text.startswith("FWB/"):
        return None
    lines = text.split("\n")
    out: list[str] = []
    index, changed = 0, False
    while index < len(lines):
        line = lines[index]
        block_end = index + 1
        while block_end < len(lines) and re.match(r"(NAM|ADR|LOC)?/", lines[block_end].rstrip("\r")):
            block_end += 1
        block = [b.rstrip("\r") for b in lines[index + 1 : block_end]]
        shape = [b[:4] if b[:4] in ("NAM/", "ADR/", "LOC/") else "/" for b in block]
        if line.rstrip("\r")[:3] in ("SHP", "CNE") and shape[:3] == ["NAM/", "ADR/", "LOC/"] and len(shape) <= 4:
            ending = "\r" if line.endswith("\r") else ""
            out.append(line)
            out.extend("/" + b[4:] + ending if b[:4] in ("NAM/", "ADR/", "LOC/") else b + ending for b in block)
            changed = True
        else:
            out.extend(lines[index:block_end])
        index = block_end
    if not changed:
        return None
    return Variant("untagged_parties", "\n".join(out).encode("latin-1"), payload, None)


def soap_envelope(payload: bytes, position: int) -> Variant | None:
    """An XML ENS wrapped in a SOAP Envelope/Body, as web-service gateways forward it."""
    text = payload.decode("utf-8", "replace")
    if "CC315A" not in text[:2000] or not text.lstrip().startswith("<"):
        return None
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/>'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )
    return Variant("soap_envelope", wrapped.encode(), payload, "envelope.stripped")


EDIFACT_DAMAGE: dict[str, Damage] = {
    "codepage_name": codepage_name,
    "type_b_envelope": type_b_envelope,
    "log_prefix": log_prefix,
    "unterminated_final_segment": unterminated_final_segment,
    "text_after_unz": text_after_unz,
    "junk_fragment": junk_fragment,
    "unt_count": unt_count,
    "lost_terminator": lost_terminator,
    "damaged_una": damaged_una,
}
CARGO_DAMAGE: dict[str, Damage] = {
    "type_b_envelope": type_b_envelope,
    "log_prefix": log_prefix,
    "untagged_parties": untagged_parties,
}
ENS_DAMAGE: dict[str, Damage] = {"soap_envelope": soap_envelope}
DAMAGE_BY_FOLDER: dict[str, dict[str, Damage]] = {
    "paxlst": EDIFACT_DAMAGE,
    "pnrgov": EDIFACT_DAMAGE,
    "cargo_imp": CARGO_DAMAGE,
    "ens": ENS_DAMAGE,
}
