"""Risk assessments travel with their records into Elasticsearch and can be queried there."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from enrichment.risk import columns as col
from enrichment.risk.generator import generate_declarations
from enrichment.risk.model import TrainConfig
from enrichment.risk.scorer import load_scorer, score_records
from enrichment.risk.store import train_and_save
from schemas.records import Consignment, Declaration, GoodsItem, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings

pytestmark = pytest.mark.integration


def test_scored_records_round_trip_through_elasticsearch(stack: Settings, tmp_path: Path) -> None:
    model_dir = tmp_path / "risk"
    train_and_save(
        col.normalise_frame(generate_declarations(3000, seed=31)),
        model_dir,
        TrainConfig(n_estimators=40, learning_rate=0.2, early_stopping_rounds=10),
    )
    scorer = load_scorer(model_dir)
    declaration = Declaration(
        id="declaration-risk-it-1",
        source_format="test",
        reference="LRN-RISK-IT-1",
        declared_at=datetime(2025, 1, 5, 8, 0),
        importer_id="IMP000003",
        country_of_origin="CN",
        goods=[GoodsItem(hs_code="610910", quantity=1000, gross_weight_kg=200, value=60)],
        invoice_value=60,
        total_taxes=9,
    )
    consignment = Consignment(
        id="consignment-risk-it-1",
        source_format="test",
        transport_document="160-12345675",
        arrival_date=date(2025, 1, 6),
        goods=[GoodsItem(hs_code="845891", gross_weight_kg=1840, value=950)],
        total_weight_kg=1840,
    )
    scored = score_records([declaration, consignment], scorer)
    assert all(record.risk is not None for record in scored)
    assert es_io.write_records(scored, stack) == 2
    es_io.refresh(stack)

    stored = es_io.get("declaration", declaration.id, stack)
    assert stored is not None
    back = record_from_dict(stored)
    assert back.risk == scored[0].risk
    assert back.risk is not None and back.risk.reasons and back.risk.contributions
    floor = min(r.risk.score for r in scored if r.risk is not None) - 1e-6
    for type_name in ("declaration", "consignment"):
        assert es_io.count(type_name, stack, {"range": {"risk.score": {"gte": floor}}}) >= 1
