"""The model directory: train from a labelled table, save with its history, load, and retrain on feedback.

A model directory holds the two boosters, the entity profiles and code norms (``profiles.json``), the
blend and calibration (``model.json``) and the labelled history it was trained on
(``history.csv.gz``), so that officers' inspection results can be added and the model refitted.
Saving goes through a sibling temporary directory renamed into place, so a scorer never loads a
half-written model.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd

from enrichment.risk import columns as col
from enrichment.risk.model import RiskModel, TrainConfig, train_model

HISTORY_FILE = "history.csv.gz"


def save_model(model: RiskModel, directory: Path, history: pd.DataFrame) -> None:
    """Write ``model`` and its labelled ``history`` to ``directory``, replacing what was there."""
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    staging.chmod(0o755)
    try:
        model.save(staging)
        out = history.copy()
        out[col.DATE] = out[col.DATE].dt.strftime("%Y-%m-%d")
        out.to_csv(staging / HISTORY_FILE, index=False)
        previous = directory.with_name(f".{directory.name}-previous")
        if previous.exists():
            shutil.rmtree(previous)
        if directory.exists():
            directory.rename(previous)
        staging.rename(directory)
        if previous.exists():
            shutil.rmtree(previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_model(directory: Path) -> RiskModel:
    return RiskModel.load(directory)


def load_history(directory: Path) -> pd.DataFrame:
    path = directory / HISTORY_FILE
    if not path.exists():
        raise FileNotFoundError(f"{directory}: no training history ({HISTORY_FILE}); train the model again")
    return col.load_declarations(path, with_labels=True)


def train_and_save(labelled: pd.DataFrame, directory: Path, config: TrainConfig | None = None) -> RiskModel:
    model = train_model(labelled, config)
    save_model(model, directory, labelled)
    return model


def feedback_frame(feedback_rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Inspection results as a labelled table: declaration columns plus ``illicit`` (and ``revenue``).

    A row without ``revenue`` recovered nothing; rows without an id or an outcome are refused.
    """
    frame = pd.DataFrame([dict(row) for row in feedback_rows])
    if frame.empty:
        raise ValueError("no feedback rows")
    for needed in (col.ID, col.DATE, col.ILLICIT):
        if needed not in frame.columns or frame[needed].isna().any():
            raise ValueError(f"every feedback row needs {needed!r}")
    if col.REVENUE not in frame.columns:
        frame[col.REVENUE] = 0.0
    frame[col.ILLICIT] = frame[col.ILLICIT].map(_as_outcome)
    return col.normalise_frame(frame)


def _as_outcome(value: object) -> float:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "illicit", "positive", "seized"}:
            return 1.0
        if text in {"0", "false", "no", "clean", "negative", "cleared"}:
            return 0.0
        raise ValueError(f"unreadable inspection outcome {value!r}")
    return 1.0 if float(str(value)) > 0 else 0.0


def retrain(model_dir: Path, feedback_rows: Iterable[Mapping[str, Any]]) -> RiskModel:
    """Add officers' inspection results to the history and refit the model in place.

    A result for a declaration already in the history replaces its label (the officer's finding wins).
    The training settings of the current model are kept.
    """
    feedback = feedback_frame(feedback_rows)
    history = load_history(model_dir)
    combined = pd.concat([history[~history[col.ID].isin(feedback[col.ID])], feedback], ignore_index=True)
    current = load_model(model_dir)
    stored = current.metadata.get("config", {})
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in stored.items() if k in known})
    model = train_model(combined, config)
    model.metadata["feedback_rows"] = int(current.metadata.get("feedback_rows", 0)) + len(feedback)
    save_model(model, model_dir, combined)
    return model
