"""Guards every parser applies to raw bytes before reading them: size limits and text decoding.

Feeds arrive as bytes from brokers and files; a wrong encoding or an oversized message must become a
rejection with a stable reason code, never an exception deep inside a parser.
"""

from __future__ import annotations

import codecs

from feeds.base import ParseError

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def check_not_empty(payload: bytes) -> None:
    """Reject empty messages (the size limit is applied before parsing, by ``parse_message``)."""
    if not payload.removeprefix(codecs.BOM_UTF8).strip():
        raise ParseError("payload.empty", "empty message")


def refuse_wide_encodings(payload: bytes) -> None:
    """UTF-16/32 input (a BOM or NUL bytes) is refused outright: the formats handled here are byte-oriented
    and a NUL byte in them is always a transport or encoding error."""
    if payload.startswith(UTF16_BOMS) and not payload.startswith(codecs.BOM_UTF8):
        raise ParseError("encoding.invalid", "UTF-16/UTF-32 byte order mark; expected UTF-8")
    if b"\x00" in payload:
        offset = payload.index(b"\x00")
        raise ParseError("encoding.invalid", f"NUL byte at offset {offset}; expected UTF-8 text")


def decode_text(payload: bytes, *, latin1_allowed: bool = False) -> str:
    """The payload as text: UTF-8 (BOM stripped), or Latin-1 where the format declares it."""
    refuse_wide_encodings(payload)
    if payload.startswith(codecs.BOM_UTF8):
        payload = payload[len(codecs.BOM_UTF8) :]
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        if latin1_allowed:
            return payload.decode("latin-1")
        raise ParseError("encoding.invalid", f"not UTF-8 at byte {exc.start}") from exc
