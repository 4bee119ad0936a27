"""Transport wrappers found around real messages, removed before sniffing and parsing.

Airline and cargo messages often reach a government system still wrapped by the network that carried
them: SITA/ARINC Type-B address and origin lines (``QK BRUAPXH`` / ``.HDQRMJL 011200``), SOH/STX/ETX
framing bytes, SITA text-header lines (``=PRIORITY``, ``=TEXT``), or a log line prefix when messages are
exported from a gateway's log. None of it is part of the message. It is removed only when every removed
line has one of these shapes, so a message that merely starts late is not guessed at; what was removed
is named in an ``envelope.stripped`` warning.
"""

from __future__ import annotations

import re

from feeds.base import WarningLog

FRAMING = b"\x01\x02\x03\x04\x1a"  # SOH, STX, ETX, EOT and SUB (end of file on some gateways)
FRAMING_NAMES = {1: "SOH", 2: "STX", 3: "ETX", 4: "EOT", 26: "SUB"}
BLANKS = b" \t\r\n"
HEAD_BYTES = 4096  # how far into a payload the message start is looked for
TYPE_B_ADDRESS = re.compile(rb"^(?:STX,)?[A-Z]{2} [A-Z0-9]{7}(?: [A-Z0-9]{7})*$")
TYPE_B_ORIGIN = re.compile(rb"^\.[A-Z0-9]{7}(?: [A-Z0-9/ ]{0,40})?$")
SITA_HEADER = re.compile(rb"^=[A-Z]+(?: [A-Z0-9 ]{0,40})?$")
TELEX_END = re.compile(rb"^NNNN$")
# A gateway log prefix on the message's first line: a timestamp, then up to a few words (level, logger, "received:").
LOG_PREFIX = re.compile(rb"^\[?\d{2,4}[-/.]\d{2}[-/.]\d{2,4}[T ]?[\d:.,+\-Z]*\]?[^\n']{0,160}?[\s:>|]$")


def _envelope_line(line: bytes) -> str | None:
    """What a removable line is, or None when it is not an envelope line."""
    stripped = line.strip(BLANKS + FRAMING)
    if not stripped:
        return "blank line" if not line.strip(BLANKS) else "framing"
    if TYPE_B_ADDRESS.match(stripped):
        return f"Type-B address line {stripped.decode('ascii')!r}"
    if TYPE_B_ORIGIN.match(stripped):
        return f"Type-B origin line {stripped.decode('ascii')!r}"
    if SITA_HEADER.match(stripped):
        return f"SITA header line {stripped.decode('ascii')!r}"
    return None


def message_start(payload: bytes, start: re.Pattern[bytes]) -> tuple[int, list[str]] | None:
    """Where the message begins (``start`` matches there) and what lies before it, or None when the text
    before the first match is not an envelope."""
    head = payload[:HEAD_BYTES]
    found = start.search(head)
    if found is None:
        return None
    at = found.start()
    prefix = head[:at]
    removed: list[str] = []
    if any(byte in FRAMING for byte in prefix):
        removed.append("/".join(FRAMING_NAMES[b] for b in dict.fromkeys(prefix) if b in FRAMING_NAMES) + " framing")
    *lines, same_line = re.split(rb"\r\n|\n|\r", prefix)
    for line in lines:
        kind = _envelope_line(line)
        if kind is None:
            return None
        if kind not in ("blank line", "framing"):
            removed.append(kind)
    lead = same_line.strip(BLANKS + FRAMING)
    if lead:
        if not LOG_PREFIX.match(lead + b" "):
            return None
        removed.append(f"log prefix {lead.decode('latin-1')!r}")
    return at, removed


def starts_at_once(payload: bytes, start: re.Pattern[bytes]) -> bool:
    """The common case, checked without any scanning: the message starts at the first non-blank byte."""
    return start.match(payload[:64].lstrip(b"\xef\xbb\xbf" + BLANKS)) is not None


def locate(payload: bytes, start: re.Pattern[bytes]) -> bool:
    """For sniffers: does a message of this kind start here, possibly inside a transport envelope?"""
    return starts_at_once(payload, start) or message_start(payload, start) is not None


def strip_envelope(payload: bytes, start: re.Pattern[bytes], log: WarningLog) -> bytes:
    """The payload without its transport envelope (leading lines, framing bytes and a trailing ETX/NNNN)."""
    body = payload
    if not starts_at_once(payload, start):
        found = message_start(payload, start)
        if found is not None:
            at, removed = found
            body = payload[at:]
            if removed:
                log.add("envelope.stripped", "removed before the message: " + ", ".join(removed))
    tail = body.rstrip(BLANKS)
    if tail.endswith(FRAMING) or tail.endswith(b"NNNN"):
        trimmed = tail.rstrip(BLANKS + FRAMING)
        if trimmed.endswith(b"NNNN") and trimmed[-5:-4] in (b"\n", b"\r"):
            trimmed = trimmed[:-4].rstrip(BLANKS + FRAMING)
        log.add("envelope.stripped", f"removed {len(tail) - len(trimmed)} framing bytes after the message")
        body = trimmed + b"\n"
    return body
