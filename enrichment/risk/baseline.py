"""The XGBoost baseline: a gradient-boosted classifier on the declaration fields as they come.

Numeric fields, the date, simple per-row ratios (value per kg and per unit, weight per unit, taxes
over CIF, CIF over FOB) and the categorical ids ordinal-encoded from the training data (unseen
ids: missing). This is the usual first model on such a table; it has no entity history features
and no tariff-code norms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb

from enrichment.risk import columns as col
from enrichment.risk.features import row_quantities


@dataclass
class XGBoostBaseline:
    booster: xgb.Booster
    categories: dict[str, dict[str, int]]

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        return _features(col.strip_labels(frame), self.categories)

    def score(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        matrix = xgb.DMatrix(self.features(frame))
        return np.asarray(self.booster.predict(matrix), dtype="float64")


def _features(frame: pd.DataFrame, categories: dict[str, dict[str, int]]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in col.NUMERIC_COLUMNS:
        out[column] = frame[column]
    out["day"] = (frame[col.DATE] - pd.Timestamp("1970-01-01")).dt.days.astype("float64")
    out = pd.concat([out, row_quantities(frame)], axis=1)
    for column, mapping in categories.items():
        out[f"{column}_code"] = frame[column].astype("string").map(mapping).astype("float64")
    out["hs2"] = pd.to_numeric(frame[col.TARIFF].astype("string").str.slice(0, 2), errors="coerce")
    return out.astype("float64")


def train_baseline(labelled: pd.DataFrame, seed: int = 0, threads: int = 1, rounds: int = 300) -> XGBoostBaseline:
    categories = {
        column: {value: i for i, value in enumerate(sorted(labelled[column].dropna().astype(str).unique()))}
        for column in col.CATEGORICAL_COLUMNS
    }
    features = _features(labelled, categories)
    matrix = xgb.DMatrix(features, label=labelled[col.ILLICIT].to_numpy(dtype="float64"))
    params = {
        "objective": "binary:logistic",
        "eta": 0.1,
        "max_depth": 6,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 1.0,
        "tree_method": "hist",
        "nthread": threads,
        "seed": seed,
        "eval_metric": "logloss",
    }
    booster = xgb.train(params, matrix, num_boost_round=rounds)
    return XGBoostBaseline(booster, categories)
