"""Labelled name pairs and the precision/recall they give at a threshold.

The pairs (``data/names/screening_pairs.csv``, made by ``benchmarks/screening_pairs.py``) have a
``dev`` part, on which thresholds may be chosen, and a ``test`` part that is never tuned on. The
benchmark reports both; ``sekisho screen threshold`` shows an admin the trade-off on the dev part.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from enrichment.screening.matcher import NameMatcher, Subject
from enrichment.screening.names import kind_of, prepare_name


@dataclass(frozen=True)
class LabelledPair:
    split: str
    kind: str
    schema: str
    label: bool
    left: str
    right: str
    entry_id: str


def read_pairs(path: Path) -> list[LabelledPair]:
    with path.open(encoding="utf-8") as handle:
        return [
            LabelledPair(
                row["split"],
                row["kind"],
                row["schema"],
                row["label"] == "1",
                row["left"],
                row["right"],
                row["entry_id"],
            )
            for row in csv.DictReader(handle)
        ]


def pair_score(pair: LabelledPair, matcher: NameMatcher) -> float:
    kind = kind_of(pair.schema)
    left = Subject((prepare_name(pair.left, kind),))
    right = Subject((prepare_name(pair.right, kind),))
    return matcher.compare(left, right).score


def prf(scores: list[float], labels: list[bool], threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``scores >= threshold`` against ``labels``."""
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def tradeoff(
    pairs: list[LabelledPair], matcher: NameMatcher, thresholds: list[float]
) -> list[tuple[float, float, float, float]]:
    """(threshold, precision, recall, F1) for each threshold, on ``pairs``."""
    scores = [pair_score(pair, matcher) for pair in pairs]
    labels = [pair.label for pair in pairs]
    return [(t, *prf(scores, labels, t)) for t in thresholds]
