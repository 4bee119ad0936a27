"""Risk model: past-only features, train/score round trip, no label leakage, explanations, calibration,
record stages and retraining on inspection feedback."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enrichment.risk import columns as col
from enrichment.risk.features import fit_profiles, past_only_entity_features
from enrichment.risk.generator import generate_declarations
from enrichment.risk.model import RiskModel, TrainConfig, _fit_platt
from enrichment.risk.scorer import (
    ModelScorer,
    inspection_feedback_rows,
    load_scorer,
    score_consignment,
    score_declaration,
    score_records,
)
from enrichment.risk.store import load_history, load_model, retrain, train_and_save
from schemas.records import Consignment, Declaration, GoodsItem, Passenger

FAST = TrainConfig(n_estimators=60, learning_rate=0.15, early_stopping_rounds=15)


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return col.normalise_frame(generate_declarations(5000, seed=21))


@pytest.fixture(scope="module")
def labelled(world: pd.DataFrame) -> pd.DataFrame:
    """The earlier 80 % of the period: the model learns from this."""
    return world.iloc[:4000].reset_index(drop=True)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, labelled: pd.DataFrame) -> Path:
    directory = tmp_path_factory.mktemp("risk") / "model"
    train_and_save(labelled, directory, FAST)
    return directory


@pytest.fixture(scope="module")
def model(model_dir: Path) -> RiskModel:
    return load_model(model_dir)


@pytest.fixture(scope="module")
def unseen(world: pd.DataFrame) -> pd.DataFrame:
    """The later 20 %: never seen in training (new importers included)."""
    return world.iloc[4000:].reset_index(drop=True)


def test_training_features_use_only_earlier_days(labelled: pd.DataFrame) -> None:
    profiles = fit_profiles(labelled)
    split = labelled[col.DATE].quantile(0.5)
    before = past_only_entity_features(labelled, profiles)
    flipped = labelled.copy()
    later = flipped[col.DATE] >= split
    flipped.loc[later, col.ILLICIT] = 1.0 - flipped.loc[later, col.ILLICIT]
    flipped.loc[later, col.REVENUE] = 999.0
    after = past_only_entity_features(flipped, profiles)
    earlier = ~later.to_numpy()
    pd.testing.assert_frame_equal(before[earlier], after[earlier])
    # The first declaration of each importer has no history of its own.
    first = ~labelled.duplicated(col.IMPORTER)
    assert (before.loc[first, "importer_count"] == 0).all()
    assert np.allclose(before.loc[first, "importer_risk"], profiles.prior_rate)


def test_round_trip_scores_are_probabilities_and_stable(
    model: RiskModel, model_dir: Path, unseen: pd.DataFrame
) -> None:
    scores = model.score(unseen)
    assert scores.shape == (len(unseen),)
    assert ((scores > 0) & (scores < 1)).all()
    assert np.allclose(RiskModel.load(model_dir).score(unseen), scores)
    # Better than chance on later declarations: the riskiest tenth holds more fraud than average.
    top = np.argsort(-scores)[: len(scores) // 10]
    assert unseen[col.ILLICIT].to_numpy()[top].mean() > unseen[col.ILLICIT].mean()


def test_scoring_never_reads_labels(model: RiskModel, unseen: pd.DataFrame, tmp_path: Path) -> None:
    honest = model.score(unseen)
    poisoned = unseen.copy()
    poisoned[col.ILLICIT] = 1.0 - poisoned[col.ILLICIT]
    poisoned[col.REVENUE] = 1e9
    assert np.array_equal(model.score(poisoned), honest)
    path = tmp_path / "with_labels.csv"
    unseen.assign(**{col.DATE: unseen[col.DATE].dt.strftime("%Y-%m-%d")}).to_csv(path, index=False)
    loaded = col.load_declarations(path, with_labels=False)
    assert not set(col.LABEL_COLUMNS) & set(loaded.columns)
    assert np.allclose(model.score(loaded), honest)


def test_cli_score_ignores_label_columns(model_dir: Path, unseen: pd.DataFrame, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app

    frame = unseen.assign(**{col.DATE: unseen[col.DATE].dt.strftime("%Y-%m-%d")})
    outputs = []
    for name, table in (("a", frame), ("b", frame.assign(illicit=1 - frame[col.ILLICIT], revenue=5.0))):
        data, out = tmp_path / f"{name}.csv", tmp_path / f"{name}_scores.csv"
        table.to_csv(data, index=False)
        result = CliRunner().invoke(
            app, ["risk", "score", "--model", str(model_dir), "--data", str(data), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out))
    assert list(outputs[0].columns) == [col.ID, "score"]
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert list(outputs[0][col.ID]) == list(unseen[col.ID])


def test_explanations_add_up_to_the_margin(model: RiskModel, unseen: pd.DataFrame) -> None:
    rows = unseen.head(25)
    features = model.features(rows)
    contributions = model.contributions(features)
    assert list(contributions.columns) == [*model.feature_names, "bias"]
    assert np.allclose(contributions.sum(axis=1).to_numpy(), model.margin(features), atol=1e-6)
    explained = model.explain(rows, top=3)
    assert len(explained) == len(rows)
    for score, reasons, top in explained:
        assert 0 < score < 1
        assert 0 < len(reasons) <= 3 and all(isinstance(r, str) and r for r in reasons)
        assert 0 < len(top) <= 6 and set(top) <= set(model.feature_names)


def test_calibration_is_monotone_and_probability_like(model: RiskModel, unseen: pd.DataFrame) -> None:
    margins = np.linspace(-12, 12, 200)
    calibrated = model.calibrate(margins)
    assert (np.diff(calibrated) > 0).all()
    assert model.platt[0] > 0
    features = model.features(unseen)
    order = np.argsort(model.margin(features))
    assert (np.diff(model.calibrate(model.margin(features))[order]) >= 0).all()
    thresholds = model.metadata["score_thresholds"]
    assert 1 > thresholds["top_1pct"] >= thresholds["top_5pct"] >= thresholds["top_10pct"] > 0
    # Calibrated on the latest training slice: the mean score is near the fraud rate of later data.
    assert abs(model.score(unseen).mean() - unseen[col.ILLICIT].mean()) < 0.06


def test_platt_never_inverts_the_ranking() -> None:
    margin = np.array([3.0, 2.0, 1.0, 0.0, -1.0])
    a, _ = _fit_platt(margin, np.array([0.0, 0.0, 0.0, 1.0, 1.0]))  # a perverse slice
    assert a > 0
    a, b = _fit_platt(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0]))
    assert a > 0 and np.isfinite(b)


def _declaration(**changes: object) -> Declaration:
    values: dict[str, object] = {
        "id": "declaration-test-1",
        "source_format": "test",
        "reference": "LRN-1",
        "declared_at": datetime(2025, 1, 10, 9, 30),
        "office_id": "OFF03",
        "importer_id": "IMP000010",
        "declarant_id": "DEC00004",
        "country_of_origin": "CN",
        "goods": [GoodsItem(hs_code="610910", quantity=2000, gross_weight_kg=400, value=6000)],
        "invoice_value": 6000,
        "total_taxes": 1600,
    }
    values.update(changes)
    return Declaration.model_validate(values)


def test_score_declaration_fills_risk(model_dir: Path) -> None:
    scorer = load_scorer(model_dir)
    scored = score_declaration(_declaration(), scorer)
    assert scored.risk is not None and scored.risk.model == scorer.name
    assert 0 < scored.risk.score < 1 and scored.risk.reasons and scored.risk.contributions
    assert scored.model_copy(update={"risk": None}) == _declaration()
    # A gross undervaluation of the same goods by a first-time importer scores higher.
    cheap = _declaration(
        importer_id="NEW-IMPORTER",
        goods=[GoodsItem(hs_code="610910", quantity=2000, gross_weight_kg=400, value=300)],
        invoice_value=300,
        total_taxes=40,
    )
    assert score_declaration(cheap, scorer).risk.score > scored.risk.score  # type: ignore[union-attr]


def test_score_consignment_handles_missing_customs_figures(model: RiskModel) -> None:
    scorer = ModelScorer(model)
    consignment = Consignment(
        id="consignment-test-1",
        source_format="test",
        transport_document="160-12345675",
        consignee_id="party-unknown",
        port_of_arrival="NRT",
        arrival_date=date(2025, 2, 1),
        goods=[GoodsItem(hs_code="845891", gross_weight_kg=1840, value=950)],
        total_pieces=12,
        total_weight_kg=1840,
        declared_value=950,
    )
    scored = score_consignment(consignment, scorer)
    assert scored.risk is not None and 0 < scored.risk.score < 1
    bare = consignment.model_copy(update={"goods": [], "declared_value": None, "total_pieces": None})
    assert score_consignment(bare, scorer).risk is not None


def test_score_records_batches_and_passes_others_through(model: RiskModel) -> None:
    scorer = ModelScorer(model)
    passenger = Passenger(id="passenger-1", source_format="test", full_name="A B")
    two_items = _declaration(
        id="declaration-test-2",
        goods=[
            GoodsItem(sequence=1, hs_code="610910", quantity=100, gross_weight_kg=20, value=300),
            GoodsItem(sequence=2, hs_code="240220", quantity=500, gross_weight_kg=100, value=500),
        ],
    )
    out = score_records([passenger, _declaration(), two_items], scorer)
    assert out[0] is passenger
    assert [r.risk is not None for r in out] == [False, True, True]
    assert out[1] == score_declaration(_declaration(), scorer)
    # A record's risk is its riskiest goods item.
    items = [two_items.model_copy(update={"goods": [item]}) for item in two_items.goods]
    item_scores = [score_declaration(item, scorer).risk.score for item in items]  # type: ignore[union-attr]
    assert out[2].risk is not None
    assert out[2].risk.score == pytest.approx(max(item_scores), abs=0.05)


def test_retrain_adds_feedback_and_the_officer_wins(model_dir: Path, tmp_path: Path) -> None:
    import shutil

    directory = tmp_path / "copy"
    shutil.copytree(model_dir, directory)
    history = load_history(directory)
    known = history.iloc[0]
    feedback = [
        {
            col.ID: known[col.ID],
            col.DATE: known[col.DATE].strftime("%Y-%m-%d"),
            col.IMPORTER: known[col.IMPORTER],
            col.DECLARANT: known[col.DECLARANT],
            col.COUNTRY: known[col.COUNTRY],
            col.OFFICE: known[col.OFFICE],
            col.TARIFF: known[col.TARIFF],
            col.QUANTITY: known[col.QUANTITY],
            col.WEIGHT: known[col.WEIGHT],
            col.FOB: known[col.FOB],
            col.CIF: known[col.CIF],
            col.TAXES: known[col.TAXES],
            col.ILLICIT: "seized" if known[col.ILLICIT] == 0 else "cleared",
            col.REVENUE: "1234.5" if known[col.ILLICIT] == 0 else "0",
        },
        {
            col.ID: "FEEDBACK-NEW-1",
            col.DATE: "2025-01-15",
            col.IMPORTER: "IMP-FEEDBACK",
            col.TARIFF: "240220",
            col.QUANTITY: 100,
            col.WEIGHT: 20,
            col.FOB: 400,
            col.TAXES: 50,
            col.ILLICIT: 1,
            col.REVENUE: 900,
        },
    ]
    two_items = _declaration(
        goods=[
            GoodsItem(sequence=1, hs_code="610910", quantity=100, gross_weight_kg=20, value=300),
            GoodsItem(sequence=2, hs_code="240220", quantity=500, gross_weight_kg=100, value=900),
        ]
    )
    from_record = inspection_feedback_rows(two_items, illicit=True, revenue=800.0)
    assert [row[col.ID] for row in from_record] == ["declaration-test-1#1", "declaration-test-1#2"]
    assert [row[col.REVENUE] for row in from_record] == [200.0, 600.0]
    assert all(row[col.ILLICIT] == 1 and row[col.DATE] == "2025-01-10" for row in from_record)
    retrained = retrain(directory, [*feedback, *from_record])
    assert retrained.metadata["feedback_rows"] == 4
    updated = load_history(directory)
    assert len(updated) == len(history) + 3
    row = updated.set_index(col.ID).loc[known[col.ID]]
    assert row[col.ILLICIT] == 1.0 - known[col.ILLICIT]
    assert retrained.profiles.entity["importer"].loc["IMP-FEEDBACK", "illicit"] == 1.0
    with pytest.raises(ValueError):
        retrain(directory, [{col.ID: "x", col.DATE: "2025-01-01"}])
