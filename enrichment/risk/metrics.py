"""Inspection-selection metrics: what inspecting the top k % of declarations by score would catch.

- Precision@k: share of the inspected declarations that are illicit.
- Recall@k: share of all illicit declarations that are inspected.
- Revenue@k: share of all recoverable revenue that the inspected declarations hold.

The number inspected is ``ceil(k/100 * n)`` (at least one); ties in score are broken by position, so
a constant score inspects the first rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

INSPECTION_RATES: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class SelectionMetrics:
    rate: float  # percentage of declarations inspected
    inspected: int
    precision: float
    recall: float
    revenue: float


def top_k_metrics(
    scores: Sequence[float] | npt.NDArray[np.float64],
    illicit: Sequence[float] | npt.NDArray[np.float64],
    revenue: Sequence[float] | npt.NDArray[np.float64],
    rate: float,
) -> SelectionMetrics:
    """Precision, recall and revenue share when inspecting the top ``rate`` % by score."""
    score_array = np.asarray(scores, dtype="float64")
    illicit_array = np.asarray(illicit, dtype="float64")
    revenue_array = np.asarray(revenue, dtype="float64")
    n = len(score_array)
    if n == 0 or not (len(illicit_array) == len(revenue_array) == n):
        raise ValueError("scores, illicit and revenue must be non-empty and of the same length")
    inspected = max(1, math.ceil(rate / 100.0 * n - 1e-9))
    order = np.argsort(-score_array, kind="stable")[:inspected]
    caught = float(illicit_array[order].sum())
    total_illicit = float(illicit_array.sum())
    total_revenue = float(revenue_array.sum())
    return SelectionMetrics(
        rate=rate,
        inspected=inspected,
        precision=caught / inspected,
        recall=caught / total_illicit if total_illicit else 0.0,
        revenue=float(revenue_array[order].sum()) / total_revenue if total_revenue else 0.0,
    )


def selection_table(
    scores: Sequence[float] | npt.NDArray[np.float64],
    illicit: Sequence[float] | npt.NDArray[np.float64],
    revenue: Sequence[float] | npt.NDArray[np.float64],
    rates: Sequence[float] = INSPECTION_RATES,
) -> list[SelectionMetrics]:
    return [top_k_metrics(scores, illicit, revenue, rate) for rate in rates]
