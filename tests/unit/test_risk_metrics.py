"""Inspection-selection metrics on tiny hand-made data, exact values."""

from __future__ import annotations

import pytest

from enrichment.risk.metrics import selection_table, top_k_metrics

# Ten declarations; three illicit (rows 0, 3, 6) holding revenue 100, 50 and 850.
SCORES = [0.9, 0.8, 0.1, 0.7, 0.2, 0.3, 0.95, 0.05, 0.4, 0.6]
ILLICIT = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0]
REVENUE = [100.0, 0, 0, 50.0, 0, 0, 850.0, 0, 0, 0]


def test_top_ten_percent_is_one_declaration() -> None:
    m = top_k_metrics(SCORES, ILLICIT, REVENUE, 10.0)
    assert m.inspected == 1
    assert m.precision == 1.0
    assert m.recall == pytest.approx(1 / 3)
    assert m.revenue == pytest.approx(0.85)


def test_top_thirty_and_fifty_percent() -> None:
    thirty = top_k_metrics(SCORES, ILLICIT, REVENUE, 30.0)  # rows 6, 0, 1
    assert thirty.inspected == 3
    assert thirty.precision == pytest.approx(2 / 3) and thirty.recall == pytest.approx(2 / 3)
    assert thirty.revenue == pytest.approx(0.95)
    fifty = top_k_metrics(SCORES, ILLICIT, REVENUE, 50.0)  # rows 6, 0, 1, 3, 9
    assert (fifty.inspected, fifty.precision, fifty.recall, fifty.revenue) == (5, 0.6, 1.0, 1.0)


def test_inspected_count_rounds_up_and_is_at_least_one() -> None:
    assert top_k_metrics(SCORES, ILLICIT, REVENUE, 1.0).inspected == 1
    assert top_k_metrics(SCORES, ILLICIT, REVENUE, 15.0).inspected == 2
    assert [m.inspected for m in selection_table(SCORES, ILLICIT, REVENUE)] == [1, 1, 1, 1]


def test_ties_break_by_position_and_no_fraud_means_zero() -> None:
    m = top_k_metrics([0.5] * 4, [0, 0, 1, 0], [0, 0, 10.0, 0], 50.0)
    assert (m.precision, m.recall, m.revenue) == (0.0, 0.0, 0.0)
    clean = top_k_metrics([0.1, 0.2], [0, 0], [0, 0], 50.0)
    assert (clean.precision, clean.recall, clean.revenue) == (0.0, 0.0, 0.0)


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError):
        top_k_metrics([0.1, 0.2], [0], [0.0, 0.0], 10.0)
