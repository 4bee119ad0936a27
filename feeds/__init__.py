"""Feed parsers: pure functions from raw bytes to canonical records, and a content sniffer.

``parse_message`` never raises: input it cannot read becomes a ``Rejection`` record (a dead letter).
Each format module exposes ``FORMAT`` (its name), ``sniff(payload) -> bool`` and
``parse(payload, ctx) -> list[Record]`` (raising ``ParseError`` on bad input). A parser that reads a
message part by part (PNRGOV per PNR, PAXLST per passenger group, several Cargo-IMP messages in one
payload) returns the records of the good parts and one ``Rejection`` per bad part, whose ``part`` says
which. What a parser tolerated is on the records as ``parse_warnings``.

Formats: ``paxlst`` and ``pnrgov`` (UN/EDIFACT), ``cargo-imp`` (IATA Cargo-IMP FWB/FFM/FHL/FSU),
``cargo-xml`` (IATA XFWB/XFZB/XFFM), ``ens`` (EU ICS CC315A and CC313A amendments, XML and JSON),
``wco`` (WCO/UK CDS declarations) and ``canonical-json`` (Sekisho's own record JSON).
"""

from __future__ import annotations

from types import ModuleType

from feeds import canonical_json, cargo_imp, cargo_xml, ens, paxlst, pnrgov, wco
from feeds.base import MessageContext, ParseError, rejection
from schemas.records import Record

# Order matters for sniffing: the most specific formats first.
PARSERS: dict[str, ModuleType] = {m.FORMAT: m for m in (paxlst, pnrgov, cargo_imp, cargo_xml, ens, wco, canonical_json)}


def sniff(payload: bytes) -> str | None:
    for name, module in PARSERS.items():
        if module.sniff(payload):
            return name
    return None


def parse_message(
    payload: bytes, ctx: MessageContext, fmt: str = "auto", max_bytes: int | None = None
) -> list[Record]:
    """Parse one raw message into records; bad input becomes one ``Rejection`` (a bad part, one per part).

    ``max_bytes`` is the deployment's message-size limit (``settings.max_message_bytes``, passed in by
    the entry point); larger messages are dead letters without being read."""
    if max_bytes is not None and len(payload) > max_bytes:
        detail = f"{len(payload)} bytes exceeds the limit of {max_bytes} bytes"
        return [rejection(payload, ctx, reason="payload.too_large", detail=detail, stage="parse")]
    if not payload.removeprefix(b"\xef\xbb\xbf").strip():
        return [rejection(payload, ctx, reason="payload.empty", detail="empty message", stage="parse")]
    name = sniff(payload) if fmt == "auto" else fmt
    module = PARSERS.get(name or "")
    if module is None:
        detail = "format not recognised from content" if fmt == "auto" else f"unknown format {fmt!r}"
        return [rejection(payload, ctx, reason="format.unknown", detail=detail, stage="parse")]
    try:
        records: list[Record] = module.parse(payload, ctx)
    except ParseError as exc:
        reason, detail = exc.reason, exc.detail
    except RecursionError:
        reason, detail = "payload.too_deep", "nesting too deep"
    except Exception as exc:  # a parser bug must not stop the stream: it becomes a dead letter too
        reason, detail = "parser.error", f"{type(exc).__name__}: {exc}"
    else:
        if records:
            return records
        reason, detail = "payload.no_records", "the message holds no records"
    return [rejection(payload, ctx, reason=reason, detail=detail, stage="parse", source_format=module.FORMAT)]



__all__ = ["PARSERS", "MessageContext", "ParseError", "parse_message", "sniff"]
