"""The canonical JSON form of records (one object, or one per line): what Sekisho itself emits."""

from __future__ import annotations

import json

from pydantic import ValidationError

from feeds.base import MessageContext, ParseError
from schemas.records import Record, record_from_dict

FORMAT = "canonical-json"


def sniff(payload: bytes) -> bool:
    head = payload.lstrip()[:200]
    return head.startswith(b"{") and b'"record_type"' in payload[:4096]


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("encoding.invalid", f"not UTF-8 at byte {exc.start}") from exc
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ParseError("payload.empty", "no JSON object in the message")
    records: list[Record] = []
    for number, line in enumerate(lines, 1):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError("json.malformed", f"line {number}: {exc.msg} at column {exc.colno}") from exc
        if not isinstance(data, dict):
            raise ParseError("json.not_object", f"line {number}: expected an object")
        data.setdefault("source", ctx.source)
        data.setdefault("message_id", ctx.message_id)
        try:
            records.append(record_from_dict(data))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ParseError("schema.invalid", f"line {number}: {where}: {first['msg']}") from exc
        except ValueError as exc:
            raise ParseError("schema.unknown_type", f"line {number}: {exc}") from exc
    return records
