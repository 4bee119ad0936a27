"""The NER enrichment stage: fill ``record.mentions`` from a record's free-text fields.

A mention found on a crawled page carries the page's evidence link (archived copy, digest, grade).

Pure over frozen records: the record comes back as a copy. Mentions that earlier runs put on the
same fields are replaced, so re-tagging (replays, retries) is idempotent; mentions on other fields
are kept. ``tag_records`` tags many records with one model call, which is what a stream window uses.
"""

from __future__ import annotations

from collections.abc import Sequence

from enrichment.ner.recognizer import Recognizer
from schemas.records import (
    Booking,
    Consignment,
    CrawledPage,
    Declaration,
    EvidenceLink,
    GoodsItem,
    Mention,
    Record,
)


def free_text_fields(record: Record) -> list[tuple[str, str]]:
    """``(field path, text)`` for each non-empty free-text field NER reads, e.g. ``goods[0].description``."""
    fields: list[tuple[str, str | None]] = []
    if isinstance(record, CrawledPage):
        fields += [("title", record.title), ("text", record.text)]
    if isinstance(record, Booking):
        fields += [(f"remarks[{index}]", remark) for index, remark in enumerate(record.remarks)]
    if isinstance(record, Consignment | Declaration):
        fields += _goods_fields(record.goods)
    return [(name, text) for name, text in fields if text and text.strip()]


def _goods_fields(goods: Sequence[GoodsItem]) -> list[tuple[str, str | None]]:
    return [(f"goods[{index}].description", item.description) for index, item in enumerate(goods)]


def _evidence_of(record: Record) -> EvidenceLink | None:
    """A name read on a crawled page points to the archived copy it was read in, with the source's grade."""
    return record.evidence_link() if isinstance(record, CrawledPage) else None


def tag_records(records: Sequence[Record], recognizer: Recognizer) -> list[Record]:
    """Each record with its NER mentions (``field`` set); records without free text come back as they were."""
    requests = [(position, name, text) for position, r in enumerate(records) for name, text in free_text_fields(r)]
    found = recognizer.recognize([text for _, _, text in requests]) if requests else []
    per_record: dict[int, list[Mention]] = {}
    tagged_fields: dict[int, set[str]] = {}
    for (position, name, _), mentions in zip(requests, found, strict=True):
        stamp = {"field": name, "evidence": _evidence_of(records[position])}
        per_record.setdefault(position, []).extend(m.model_copy(update=stamp) for m in mentions)
        tagged_fields.setdefault(position, set()).add(name)
    results: list[Record] = []
    for position, record in enumerate(records):
        if position not in tagged_fields:
            results.append(record)
            continue
        kept = [m for m in record.mentions if m.field not in tagged_fields[position]]
        results.append(record.model_copy(update={"mentions": kept + per_record.get(position, [])}))
    return results


def tag_record(record: Record, recognizer: Recognizer) -> Record:
    """One record with ``mentions`` filled from its free-text fields."""
    return tag_records([record], recognizer)[0]
