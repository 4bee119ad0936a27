"""BIO tag sequences to entity spans, and entity-level precision/recall/F1 (exact span and type)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class TokenSpan:
    """An entity over tokens ``start`` (inclusive) to ``end`` (exclusive)."""

    start: int
    end: int
    label: str


def bio_spans(tags: Sequence[str]) -> list[TokenSpan]:
    """Entities in a BIO sequence; an ``I-X`` that does not continue an ``X`` opens a new entity."""
    spans: list[TokenSpan] = []
    start: int | None = None
    label = ""
    for index, tag in enumerate([*tags, "O"]):
        continues = tag.startswith("I-") and start is not None and tag[2:] == label
        if continues:
            continue
        if start is not None:
            spans.append(TokenSpan(start, index, label))
            start = None
        if tag.startswith(("B-", "I-")):
            start, label = index, tag[2:]
    return spans


def spans_to_bio(length: int, spans: Iterable[TokenSpan]) -> list[str]:
    tags = ["O"] * length
    for span in spans:
        tags[span.start] = f"B-{span.label}"
        for index in range(span.start + 1, span.end):
            tags[index] = f"I-{span.label}"
    return tags


@dataclass(frozen=True)
class Score:
    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "gold": self.gold,
            "predicted": self.predicted,
        }


@dataclass(frozen=True)
class Evaluation:
    overall: Score
    by_type: dict[str, Score] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_dict(),
            "by_type": {kind: score.as_dict() for kind, score in sorted(self.by_type.items())},
        }


def evaluate_tags(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    types: Iterable[str] | None = None,
) -> Evaluation:
    """Entity-level scores; only entities whose type is in ``types`` count (all types when ``None``)."""
    allowed = set(types) if types is not None else None
    true_positives: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter()
    gold_count: Counter[str] = Counter()
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        gold_spans = {s for s in bio_spans(gold_tags) if allowed is None or s.label in allowed}
        predicted_spans = {s for s in bio_spans(predicted_tags) if allowed is None or s.label in allowed}
        gold_count.update(s.label for s in gold_spans)
        predicted_count.update(s.label for s in predicted_spans)
        true_positives.update(s.label for s in gold_spans & predicted_spans)
    kinds = sorted(set(gold_count) | set(predicted_count))
    by_type = {k: Score(true_positives[k], predicted_count[k], gold_count[k]) for k in kinds}
    overall = Score(sum(true_positives.values()), sum(predicted_count.values()), sum(gold_count.values()))
    return Evaluation(overall, by_type)
