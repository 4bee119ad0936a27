"""The stage chain every raw message goes through: parse → normalise (per message), then enrich and
validate (per batch: model calls and Great Expectations are far cheaper on batches) before the write.

Everything here is a pure function of its inputs (plus models loaded once per worker), so the whole
chain runs in unit tests without Kafka, Flink or Elasticsearch. The Flink job only wires it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from enrichment import stages
from enrichment.screening.decisions import ClearedPairs
from enrichment.stages import BatchStage
from feeds import MessageContext, parse_message
from pipeline.time_limit import ParseTimeLimit
from schemas.records import Record, Rejection
from sekisho.settings import Settings

log = logging.getLogger(__name__)

# (stage name, factory returning a batch stage, or None when its model is absent here), in order.
ENRICHERS: list[tuple[str, Callable[[Settings], BatchStage | None]]] = [
    ("identifiers", stages.identifiers_stage),
    ("ner", stages.ner_stage),
    ("screening", stages.screening_stage),
    ("risk", stages.risk_stage),
]


@dataclass
class StageChain:
    """The enrichment stages after parsing, in order, each over a batch of records. Built once per
    worker by ``build_chain``."""

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


def build_chain(
    settings: Settings,
    enabled: set[str] | None = None,
    cleared: Callable[[], ClearedPairs] | None = None,
) -> StageChain:
    """The enrichment stages available in this installation for ``settings`` (the worker's copy of the
    job's settings); a stage whose model is missing is left out, loudly. ``cleared`` gives screening the
    pairs analysts cleared as false positives (the entry point reads them)."""
    chain = StageChain()
    for name, factory in ENRICHERS:
        make = partial(stages.screening_stage, cleared=cleared) if name == "screening" and cleared else factory
        if enabled is not None and name not in enabled:
            continue
        try:
            stage = make(settings)
        except Exception as exc:  # a missing model disables its stage, loudly, not the pipeline
            log.warning("enrichment stage %s unavailable: %s", name, exc)
            continue
        if stage is not None:
            chain.stages.append((name, stage))
    return chain


def process_message(
    payload: bytes, ctx: MessageContext, chain: StageChain | None = None, fmt: str = "auto",
    max_bytes: int | None = None, time_limit: ParseTimeLimit | None = None,
) -> list[Record]:
    """Raw bytes in, records (or one dead letter) out; ``time_limit`` bounds the parsing of large messages."""
    if time_limit is not None:
        records = time_limit.parse(payload, ctx, fmt=fmt, max_bytes=max_bytes)
    else:
        records = parse_message(payload, ctx, fmt=fmt, max_bytes=max_bytes)
    if chain is None or not chain.stages:
        return records
    return chain.apply_batch(records)
