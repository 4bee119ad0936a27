"""The batch step: a buffered batch of parsed records → enriched, valid records and dead letters.

The Flink writer calls ``process_batch`` on each flushed batch; the unit tests call the same function,
so what the tests check is what the job does (enrichment per batch, then validation, then the dead
letters' origins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline.chain import StageChain
from schemas.records import Record, Rejection

Origin = tuple[str, int, int]  # topic, partition, offset of the raw message a record came from


class Validator(Protocol):
    def validate(self, records: Sequence[Record]) -> tuple[list[Record], list[Rejection]]: ...


@dataclass(frozen=True)
class BatchResult:
    valid: list[Record]
    rejected: list[Rejection]


def process_batch(
    records: Sequence[Record],
    chain: StageChain | None,
    validator: Validator,
    origins: Mapping[str, Origin] | None = None,
) -> BatchResult:
    """Enrich (one call per stage for the whole batch), validate, and give every validation dead letter
    the topic/partition/offset of the message its record came from."""
    enriched = chain.apply_batch(records) if chain is not None else list(records)
    valid, rejected = validator.validate(enriched)
    if origins:
        rejected = [with_origin(r, origins) for r in rejected]
    return BatchResult(valid=valid, rejected=rejected)


def with_origin(rejection: Rejection, origins: Mapping[str, Origin]) -> Rejection:
    """A dead letter with the origin of the record it names (parse dead letters already have one)."""
    if rejection.offset is not None:
        return rejection
    origin = origins.get(rejection.record_id or rejection.id)
    if origin is None:
        return rejection
    topic, partition, offset = origin
    return rejection.model_copy(update={"topic": topic, "partition": partition, "offset": offset})
