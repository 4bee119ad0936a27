"""Generated demo feeds, parsed, indexed and linked in the real Elasticsearch: the NRT queue from there."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from graph.store import explain_node, link_indexed
from schemas.records import RECORD_TYPES, Booking, Record, ScreeningHit, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings
from targeting.sources import EsSource, queue_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAY = date(2026, 11, 25)
PAYER = "KOREA MINING DEVELOPMENT TRADING CORPORATION"


@pytest.fixture
def private(stack: Settings) -> Iterator[Settings]:
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}-demo{uuid.uuid4().hex[:4]}"})
    for record_type in RECORD_TYPES:
        es_io.ensure_index(record_type, settings)
    yield settings
    es_io.delete_namespace(settings)


def demo_records(tmp: Path) -> list[Record]:
    command = [sys.executable, "-m", "sekisho.cli"]
    subprocess.run(
        [*command, "generate", "--out", str(tmp / "feeds"), "--date", DAY.isoformat(), "--quiet"],
        check=True,
        timeout=300,
    )
    parsed = subprocess.run([*command, "parse", str(tmp / "feeds")], timeout=300, capture_output=True)
    docs = [json.loads(line) for line in parsed.stdout.decode().splitlines() if line.strip()]
    records = [record_from_dict(doc) for doc in docs if "record_type" in doc]
    # What screening the PNR payer gives (the planted booking's payer is on the SDN list).
    hit = ScreeningHit(
        entry_id="9345",
        list_name="OFAC SDN",
        matched_name=PAYER,
        query_name=PAYER,
        score=0.97,
        explanation="exact",
        field="payer_name",
    )
    return [
        r.model_copy(update={"payer_name": PAYER, "screening": [hit]})
        if isinstance(r, Booking) and r.record_locator == "QX7P2M"
        else r
        for r in records
    ]


def test_demo_queue_from_elasticsearch(private: Settings, tmp_path: Path) -> None:
    records = demo_records(tmp_path)
    es_io.write_records([r for r in records if r.record_type != "rejection"], private)
    es_io.refresh(private)
    linked, _ = link_indexed(private)
    assert linked > 500

    queue = queue_for("NRT", DAY, source=EsSource(private), xray=6, exams=2, random_share=0.0, settings=private)
    cargo = next(p for p in queue.picks if p.label.startswith("160-12345675"))
    assert cargo.rank <= 2 and cargo.inspection == "exam" and len(cargo.same_target) == 1
    assert "shares a phone (+85291234567) with booking QX7P2M" in cargo.explanation[0]
    travellers = {p.label: p for p in queue.picks if p.record_type == "passenger"}
    assert {"DMITRI VOLKOV", "WEI CHEN"} <= set(travellers)
    assert PAYER in travellers["DMITRI VOLKOV"].explanation[0]

    node, paths = explain_node(cargo.record_id, settings=private)
    assert node is not None and paths and paths[0].sentence.endswith("listed on OFAC SDN (match 0.97)")
