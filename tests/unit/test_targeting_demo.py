"""On the generated demo feeds, parsed by the real parsers, the planted targets top the NRT queue."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from schemas.records import Booking, Record, ScreeningHit, record_from_dict
from sekisho.settings import get_settings
from targeting.sources import MemorySource, queue_for

DAY = date(2026, 11, 25)
SEKISHO = [sys.executable, "-m", "sekisho.cli"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    out = tmp_path_factory.mktemp("demo")
    subprocess.run(
        [*SEKISHO, "generate", "--out", str(out / "feeds"), "--date", DAY.isoformat(), "--quiet"],
        check=True,
        timeout=300,
    )
    # exit 3 says some input was rejected (the manifest is not a feed): the records are on stdout anyway
    parsed = subprocess.run([*SEKISHO, "parse", str(out / "feeds")], timeout=300, capture_output=True)
    assert parsed.returncode in (0, 3), parsed.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in parsed.stdout.decode().splitlines() if line.strip()]
    return [record_from_dict(doc) for doc in lines if "record_type" in doc]


def test_planted_consignment_tops_the_queue_on_rules_alone(demo_records: list[Record]) -> None:
    queue = queue_for(
        "NRT", DAY, source=MemorySource(demo_records), xray=5, exams=2, random_share=0.0, settings=get_settings()
    )
    top = queue.picks[0]
    assert top.label.startswith("160-12345675") and top.inspection == "exam"
    assert any("described as parts (MACHINE PARTS)" in line for line in top.explanation)
    assert len(top.same_target) == 1  # manifest (FFM) and waybill (FWB) are one target
    travellers = {p.label for p in queue.picks if p.record_type == "passenger"}
    assert {"DMITRI VOLKOV", "WEI CHEN"} <= travellers


def test_with_the_payer_screened_the_explanations_carry_the_sdn_path(demo_records: list[Record]) -> None:
    """What screening of the PNR payer adds (simulated here: one hit on the planted booking's payer)."""
    payer = "KOREA MINING DEVELOPMENT TRADING CORPORATION"
    hit = ScreeningHit(
        entry_id="9345",
        list_name="OFAC SDN",
        matched_name=payer,
        query_name=payer,
        score=0.97,
        explanation="exact",
        field="payer_name",
    )
    records = [
        r.model_copy(update={"payer_name": payer, "screening": [hit]})
        if isinstance(r, Booking) and r.record_locator == "QX7P2M"
        else r
        for r in demo_records
    ]
    queue = queue_for(
        "NRT", DAY, source=MemorySource(records), xray=5, exams=2, random_share=0.0, settings=get_settings()
    )
    by_label = {p.label: p for p in queue.picks}
    cargo = next(p for p in queue.picks if p.label.startswith("160-12345675"))
    assert cargo.explanation[0] == (
        "graph: consignment 160-12345675 is consigned to consignee PACIFIC RIM PRECISION MACHINERY LTD, "
        "which shares a phone (+85291234567) with booking QX7P2M, which was paid by "
        f"{payer}, which is listed on OFAC SDN (match 0.97)"
    )
    volkov = by_label["DMITRI VOLKOV"]
    assert volkov.score > 0.85 and len(volkov.same_target) == 1  # API and PNR records of one traveller
    assert volkov.explanation[0].startswith("graph: traveller DMITRI VOLKOV travels on booking QX7P2M")


def test_demo_records_are_the_bundled_scenario() -> None:
    world = Path(__file__).resolve().parents[2] / "data" / "planted" / "world.yaml"
    assert "160-12345675" in world.read_text() and "QX7P2M" in world.read_text()
