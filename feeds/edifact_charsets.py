"""Text of an EDIFACT interchange, decoded by the character repertoire its UNB declares.

ISO 9735 names the repertoire in UNB (``UNOA``/``UNOB`` a subset of ASCII, ``UNOC`` ISO 8859-1, ``UNOD``
8859-2 ... ``UNOW``/``UNOY`` UTF-8). Real interchanges break this: a UNOA manifest with one name typed on a
Windows or DOS terminal (cp1252, cp437), a UNOC one written as UTF-8. One odd byte must not cost the other
259 passengers, so the text is read as UTF-8 when it is, else in the declared repertoire, else in the
single-byte code page under which the odd bytes read as Latin letters or typography (curly quotes,
dashes); every such deviation is a warning.
"""

from __future__ import annotations

import codecs
import unicodedata

from feeds.base import WarningLog
from feeds.payload_text import refuse_wide_encodings

SYNTAX_CHARSETS = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "iso8859-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}
FALLBACKS = ("cp1252", "cp437", "latin-1")  # in order of preference when the letters tie
C1_CONTROLS = frozenset(chr(code) for code in range(0x80, 0xA0))


def syntax_identifier(payload: bytes) -> str:
    """The UNB syntax identifier (``UNOA`` ...) or ``""``."""
    at = payload.find(b"UNB", 0, 600)
    return payload[at + 4 : at + 8].decode("ascii", "replace").upper() if at >= 0 else ""


TYPOGRAPHY = frozenset("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u20ac\u00b0\u00a0")  # quotes, dashes, ..., EUR


def _plausible(char: str) -> bool:
    """A character a name or address in Western text plausibly holds: a Latin letter or typography."""
    return char in TYPOGRAPHY or (char.isalpha() and unicodedata.name(char, "").startswith("LATIN"))


def _letter_share(high_bytes: bytes, charset: str) -> float:
    try:
        decoded = high_bytes.decode(charset)
    except UnicodeDecodeError:
        return -1.0
    return sum(_plausible(char) for char in decoded) / max(len(decoded), 1)


def _declared(body: bytes, charset: str) -> str | None:
    """The text in a declared single-byte repertoire, unless it is undefined there or holds C1 controls
    (bytes 0x80-0x9F, which in real text are cp1252 punctuation and letters, not controls)."""
    try:
        text = body.decode(charset)
    except UnicodeDecodeError:
        return None
    return None if any(char in C1_CONTROLS for char in text) else text


def decode_interchange(payload: bytes, log: WarningLog) -> str:
    refuse_wide_encodings(payload)
    body = payload.removeprefix(codecs.BOM_UTF8)
    syntax = syntax_identifier(body)
    declared = SYNTAX_CHARSETS.get(syntax)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        if declared not in (None, "utf-8") and not text.isascii():
            log.add(
                "encoding.utf8_despite_declaration",
                f"UNB declares {syntax} ({declared}) but the text is UTF-8 with non-ASCII characters; read as UTF-8",
            )
        return text
    if declared not in (None, "ascii", "utf-8"):
        as_declared = _declared(body, declared)
        if as_declared is not None:
            return as_declared
    high = bytes(byte for byte in body if byte > 0x7F)
    charset = max(FALLBACKS, key=lambda name: _letter_share(high, name))
    where = f"UNB declares {syntax} ({declared})" if declared else "UNB declares no known syntax identifier"
    log.add(
        "encoding.fallback",
        f"{where}; {len(high)} bytes are not valid there nor UTF-8 (first at byte {first_bad}); read as {charset}",
    )
    return body.decode(charset)
