"""What every feed parser shares: the parse context, the error it raises and the rejection it becomes."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.records import ParseWarning, Rejection, make_id, message_id_of

RAW_KEEP_BYTES = 64 * 1024  # what a dead letter keeps of the payload


@dataclass(frozen=True)
class MessageContext:
    """Where a raw message came from. Offsets are filled in the stream, not by the CLI."""

    source: str
    message_id: str | None = None
    received_at: datetime | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


class ParseError(Exception):
    """Input that cannot become records. ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class WarningLog:
    """The deviations a parser tolerated while reading one message (or one part of it), in order, once each."""

    def __init__(self) -> None:
        self.items: list[ParseWarning] = []

    def add(self, code: str, detail: str) -> None:
        warning = ParseWarning(code=code, detail=detail[:500])
        if warning not in self.items:
            self.items.append(warning)

    def extend(self, warnings: Sequence[ParseWarning]) -> None:
        for warning in warnings:
            if warning not in self.items:
                self.items.append(warning)

    def __bool__(self) -> bool:
        return bool(self.items)


def raw_text(payload: bytes) -> str:
    """The payload as text for a dead letter: UTF-8 when it is, else ``base64:`` + base64."""
    head = payload[:RAW_KEEP_BYTES]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(head).decode("ascii")


def rejection(
    payload: bytes,
    ctx: MessageContext,
    *,
    reason: str,
    detail: str,
    stage: str,
    source_format: str = "unknown",
    expectation: str | None = None,
    record_type_expected: str | None = None,
    part: str | None = None,
    warnings: Sequence[ParseWarning] = (),
) -> Rejection:
    """A dead letter for ``payload``; ``part`` names the piece that failed when the rest of the message did not."""
    digest = message_id_of(payload)
    key = (digest, stage, reason, expectation or "", record_type_expected or "", *((part,) if part else ()))
    return Rejection(
        id=make_id("rejection", *key),
        source_format=source_format,
        source=ctx.source,
        message_id=ctx.message_id or digest,
        received_at=ctx.received_at,
        reason=reason,
        detail=detail[:2000],
        stage=stage,
        topic=ctx.topic,
        partition=ctx.partition,
        offset=ctx.offset,
        raw=raw_text(payload),
        raw_sha256=digest,
        raw_size=len(payload),
        expectation=expectation,
        record_type_expected=record_type_expected,
        part=part,
        parse_warnings=list(warnings),
    )
