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


@pytest.fixture(scope="module")
def with_risk_model(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The stack's settings with a risk model of their own (a small one trained on generated declarations),
    so the stream scores declarations whatever else ran before."""
    from enrichment.risk import columns as col
    from enrichment.risk.generator import generate_declarations
    from enrichment.risk.model import TrainConfig
    from enrichment.risk.store import train_and_save
    from enrichment.stages import risk_model_path

    settings = stack.model_copy(update={"model_dir": tmp_path_factory.mktemp("models")})
    csv = settings.model_dir / "declarations.csv"
    generate_declarations(5_000, seed=3).to_csv(csv, index=False)
    train_and_save(col.load_declarations(csv, with_labels=True), risk_model_path(settings), TrainConfig(seed=0))
    return settings


def test_sample_feeds_flow_into_their_indices_enriched(with_risk_model: Settings) -> None:
    stack = with_risk_model
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
    # What the parsers tolerated is stored with the records. pnrBadFormat.edi repeats a booking of
    # no_pnr_history.edi (same id), so which copy is stored last depends on arrival order: look for a warning
    # that many files carry.
    assert es_io.count("booking", stack, {"term": {"parse_warnings.code": "edifact.count_mismatch"}}) > 0
    # Enrichment ran in the stream: identifiers with check digits on cargo, risk on declarations.
    assert es_io.count("consignment", stack, {"term": {"identifiers.scheme": "awb"}}) > 0
    assert es_io.count("declaration", stack, {"exists": {"field": "risk.score"}}) == expected["declaration"]
