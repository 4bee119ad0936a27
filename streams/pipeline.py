"""The stage chain every raw message goes through: parse → normalise → enrich (per record), then
validate (per batch, Great Expectations) before the write.

Everything here is a pure function of its inputs (plus models loaded once per worker), so the whole
chain runs in unit tests without Kafka, Flink or Elasticsearch. The Flink job only wires it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from schemas.records import Record, Rejection
from sekisho.settings import Settings
from streams.parsers import MessageContext, parse_message
from streams.parsers.base import rejection

log = logging.getLogger(__name__)

RecordStage = Callable[[Record], Record]


@dataclass
class StageChain:
    """The per-record stages after parsing, in order. Built once per worker by ``default_chain``."""

    stages: list[tuple[str, RecordStage]] = field(default_factory=list)

    def apply(self, record: Record, payload: bytes, ctx: MessageContext) -> Record:
        if isinstance(record, Rejection):
            return record
        for name, stage in self.stages:
            try:
                record = stage(record)
            except Exception as exc:  # a failing enricher must not lose the record: keep it unenriched
                log.warning("stage %s failed on %s: %s", name, record.id, exc)
        return record


def process_message(
    payload: bytes, ctx: MessageContext, chain: StageChain | None = None, fmt: str = "auto",
    max_bytes: int | None = None,
) -> list[Record]:
    """Raw bytes in, records (or one dead letter) out."""
    if max_bytes is not None and len(payload) > max_bytes:
        return [rejection(payload, ctx, reason="payload.too_large",
                          detail=f"{len(payload)} bytes exceeds the limit of {max_bytes}", stage="parse")]
    records = parse_message(payload, ctx, fmt=fmt)
    if chain is None or not chain.stages:
        return records
    return [chain.apply(record, payload, ctx) for record in records]


def default_chain(settings: Settings | None = None) -> StageChain:
    """The enrichment stages available in this installation (each optional, each behind its protocol)."""
    from streams.enrichment_chain import build_chain

    return build_chain(settings=settings)


def split(records: Sequence[Record]) -> tuple[list[Record], list[Rejection]]:
    good: list[Record] = []
    bad: list[Rejection] = []
    for record in records:
        (bad if isinstance(record, Rejection) else good).append(record)  # type: ignore[arg-type]
    return good, bad
