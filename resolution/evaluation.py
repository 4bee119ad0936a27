"""How well resolution does against a generated world whose truth is known.

Pairwise precision and recall count pairs of records: a predicted pair is two records put into one
entity; a true pair, two records of one real person, shipment, company or flight. Cluster purity is
the share of records that sit in an entity whose majority truth is their own. Hard negatives are the
hand-made pairs that must never merge (namesakes, relatives, shared forwarders).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from resolution.clusters import Resolver
from resolution.profiles import profile_of
from schemas.records import Record


def _pairs(sizes: Counter[str] | Counter[tuple[str, str]]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


@dataclass(frozen=True)
class Scores:
    records: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    purity: float
    entities: int
    true_entities: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def score_clusters(entity_of: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    """Pairwise precision/recall and purity of predicted entities against the truth (same record ids)."""
    ids = [record_id for record_id in truth if record_id in entity_of]
    predicted: Counter[str] = Counter(entity_of[i] for i in ids)
    actual: Counter[str] = Counter(truth[i] for i in ids)
    both: Counter[tuple[str, str]] = Counter((entity_of[i], truth[i]) for i in ids)
    majority: dict[str, int] = {}
    for (entity, _), count in both.items():
        majority[entity] = max(majority.get(entity, 0), count)
    return Scores(
        records=len(ids),
        predicted_pairs=_pairs(predicted),
        true_pairs=_pairs(actual),
        correct_pairs=_pairs(both),
        purity=sum(majority.values()) / len(ids) if ids else 1.0,
        entities=len(predicted),
        true_entities=len(actual),
    )


@dataclass
class Evaluation:
    overall: Scores
    by_kind: dict[str, Scores]
    hard_negatives: int
    hard_negative_merges: list[tuple[str, str, str]] = field(default_factory=list)
    false_merges: list[str] = field(default_factory=list)  # examples, with the reasons of the match
    missed: list[str] = field(default_factory=list)  # examples of true pairs left apart


def evaluate(
    records: Sequence[Record],
    truth: Mapping[str, str],
    hard_negatives: Sequence[tuple[str, str, str]],
    *,
    examples: int = 10,
) -> Evaluation:
    """Resolve ``records`` from scratch and score the entities against ``truth``."""
    resolver = Resolver()
    resolver.add(records)
    entity_of = {record.id: resolver.entity_of(record.id) for record in records if record.id in resolver}
    kinds: dict[str, str] = {}
    for record in records:
        profile = resolver.profile(record.id) or profile_of(record)
        if profile is not None:
            kinds[record.id] = profile.kind
    by_kind = {
        kind: score_clusters({i: e for i, e in entity_of.items() if kinds.get(i) == kind}, truth)
        for kind in sorted(set(kinds.values()))
    }
    merged = [(a, b, why) for a, b, why in hard_negatives if resolver.entity_of(a) == resolver.entity_of(b)]
    false_merges = [
        f"{match.left} ~ {match.right} [{truth.get(match.left)} / {truth.get(match.right)}] {match.rule}: "
        f"{match.sentence}"
        for match in resolver.matches()
        if truth.get(match.left) != truth.get(match.right)
    ][:examples]
    members: dict[str, list[str]] = {}
    for record_id, entity in truth.items():
        members.setdefault(entity, []).append(record_id)
    missed = [
        f"{entity}: {len({resolver.entity_of(i) for i in ids})} entities for {len(ids)} records "
        f"({', '.join(sorted({resolver.profile(i).label for i in ids if resolver.profile(i)}))})"  # type: ignore[union-attr]
        for entity, ids in sorted(members.items())
        if len({resolver.entity_of(i) for i in ids if i in resolver}) > 1
    ][:examples]
    return Evaluation(
        overall=score_clusters(entity_of, truth),
        by_kind=by_kind,
        hard_negatives=len(hard_negatives),
        hard_negative_merges=merged,
        false_merges=false_merges,
        missed=missed,
    )
