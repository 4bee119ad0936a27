"""`sekisho risk` from the command line: generate, train, score, evaluate, explain, retrain."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from enrichment.risk import columns as col
from sekisho.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, ["risk", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_train_score_evaluate_retrain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sekisho.cli.commands.risk.console", Console(width=200))
    data, model = tmp_path / "declarations.csv", tmp_path / "model"
    _run("generate", "--out", str(data), "--rows", "3000", "--seed", "4")
    frame = pd.read_csv(data, dtype=str)
    assert list(frame.columns) == [*col.DECLARATION_COLUMNS, *col.LABEL_COLUMNS]

    dates = pd.to_datetime(frame[col.DATE])
    split = dates.quantile(0.8)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    frame[dates < split].to_csv(train, index=False)
    frame[dates >= split].drop(columns=list(col.LABEL_COLUMNS)).to_csv(test, index=False)

    assert "saved to" in _run("train", "--data", str(train), "--model", str(model))
    assert {"classifier.txt", "revenue.txt", "profiles.json", "model.json", "history.csv.gz"} <= {
        p.name for p in model.iterdir()
    }

    scores_path = tmp_path / "scores.csv"
    _run("score", "--model", str(model), "--data", str(test), "--out", str(scores_path), "--reasons", "--revenue")
    scores = pd.read_csv(scores_path)
    assert list(scores.columns) == [col.ID, "score", "reasons", "expected_revenue"]
    assert (scores["expected_revenue"] >= 0).all()
    assert len(scores) == (dates >= split).sum() and scores["score"].between(0, 1).all()

    shown = _run("explain", "--model", str(model), "--data", str(test), "--top", "3")
    assert "reasons" in shown

    report = _run("evaluate", "--data", str(data), "--split-date", split.strftime("%Y-%m-%d"))
    for needle in ("precision", "recall", "revenue", "XGBoost", "1% (", "2% (", "5% (", "10% (", "audit selection"):
        assert needle in report, needle

    feedback = tmp_path / "feedback.csv"
    inspected = frame[dates >= split].head(20)
    inspected.to_csv(feedback, index=False)
    assert "20 from inspection feedback" in _run("retrain", "--model", str(model), "--feedback", str(feedback))
