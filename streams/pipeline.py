"""The stage chain every raw message goes through: parse → normalise (per message), then enrich and
validate (per batch: model calls and Great Expectations are far cheaper on batches) before the write.

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
BatchStage = Callable[[list[Record]], list[Record]]


def per_record(stage: RecordStage, name: str) -> BatchStage:
    """A batch stage from a per-record one; a record it fails on passes through unenriched."""

    def run(records: list[Record]) -> list[Record]:
        out: list[Record] = []
        for record in records:
            try:
                out.append(stage(record))
            except Exception as exc:  # one odd record must not cost the batch its enrichment
                log.warning("stage %s failed on %s: %s", name, record.id, exc)
                out.append(record)
        return out

    return run


@dataclass
class StageChain:
    """The enrichment stages after parsing, in order, each over a batch of records. Built once per
    worker by ``default_chain``."""

    stages: list[tuple[str, BatchStage]] = field(default_factory=list)

    def apply_batch(self, records: Sequence[Record]) -> list[Record]:
        """Enrich a batch; dead letters pass through, order is kept."""
        todo = [r for r in records if not isinstance(r, Rejection)]
        for name, stage in self.stages:
            try:
                enriched = stage(todo)
            except Exception as exc:  # a failing enricher must not lose records: keep them unenriched
                log.warning("stage %s failed on a batch of %d: %s", name, len(todo), exc)
                continue
            if len(enriched) == len(todo):
                todo = enriched
        by_id = iter(todo)
        return [r if isinstance(r, Rejection) else next(by_id) for r in records]

    def apply(self, record: Record, payload: bytes = b"", ctx: MessageContext | None = None) -> Record:
        return self.apply_batch([record])[0]


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
    return chain.apply_batch(records)


def default_chain(settings: Settings | None = None) -> StageChain:
    """The enrichment stages available in this installation (each optional, each behind its protocol)."""
    from streams.enrichment_chain import build_chain

    return build_chain(settings=settings)

