"""The real sample feeds through the whole stream (with enrichment) into Elasticsearch."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from feeds import MessageContext, parse_message
from schemas.records import Rejection
from sekisho import es_io, kafka_io
from sekisho.cli.feed_files import message_files, raw_messages
from sekisho.settings import PROJECT_ROOT, Settings
from streams.jobs import ingest_job

pytestmark = pytest.mark.integration

FEEDS = PROJECT_ROOT / "data" / "feeds"


def _expected(files: list[Path]) -> tuple[Counter[str], set[str]]:
    """What the parsers alone make of the files: records per type (by distinct id) and rejected sources."""
    ids: dict[str, set[str]] = {}
    rejected: set[str] = set()
    for path in files:
        for record in parse_message(path.read_bytes(), MessageContext(source=str(path))):
            if isinstance(record, Rejection):
                rejected.add(str(path))
            else:
                ids.setdefault(record.record_type, set()).add(record.id)
    return Counter({t: len(v) for t, v in ids.items()}), rejected


def test_sample_feeds_flow_into_their_indices_enriched(stack: Settings) -> None:
    files = message_files([FEEDS])
    expected, rejected_sources = _expected(files)
    # pnrBadFormat.edi (UNZ without terminator, text after it) is read with warnings; the ambiguous UNA is not.
    assert rejected_sources == {str(FEEDS / "pnrgov" / "danglingMetaCharacter.edi")}
    kafka_io.produce_raw(raw_messages(files), settings=stack)

    ingest_job.run(stack)
    es_io.refresh(stack)

    dead = list(es_io.scan("rejection", None, stack))
    failed_validation = Counter(d["record_type_expected"] for d in dead if d["stage"] == "validate")
    for record_type, count in expected.items():
        assert es_io.count(record_type, stack) + failed_validation[record_type] == count, record_type
    parse_dead = {d["source"] for d in dead if d["stage"] == "parse"}
    assert parse_dead == rejected_sources
    # What the parsers tolerated is stored with the records.
    assert es_io.count("booking", stack, {"term": {"parse_warnings.code": "edifact.text_after_unz"}}) == 1
    # Enrichment ran in the stream: identifiers with check digits on cargo, risk on declarations.
    assert es_io.count("consignment", stack, {"term": {"identifiers.scheme": "awb"}}) > 0
    assert es_io.count("declaration", stack, {"exists": {"field": "risk.score"}}) == expected["declaration"]
