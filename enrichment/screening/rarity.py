"""How much a name part says about who is meant: parts common in the lists weigh less.

"Mohammed", "Ali" or "Trading" are shared by hundreds of listed names, so agreeing on them is weak
evidence and missing them is a small loss; a rare surname is most of a name's identity. The weight
falls with the logarithm of a part's document frequency (how many list names contain it), from 1.0
for a part seen once (or never: a query part the lists do not know) to ``MIN_WEIGHT`` for the most
common part of all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MIN_WEIGHT = 0.35
RARE_COUNT = 3  # parts seen this often or less weigh fully


@dataclass(frozen=True, slots=True)
class TokenRarity:
    """Document frequencies of name parts across the list names."""

    counts: dict[str, int] = field(default_factory=dict)
    max_count: int = 1
    # The weight of every part seen more than ``RARE_COUNT`` times, worked out once: it is looked up
    # for every part of every candidate name the matcher scores.
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_names(cls, names: Iterable[Iterable[str]]) -> TokenRarity:
        """Count each part once per name it appears in."""
        counts: Counter[str] = Counter()
        for parts in names:
            counts.update(set(parts))
        max_count = max(counts.values(), default=1)
        weights = {text: _weight(count, max_count) for text, count in counts.items() if count > RARE_COUNT}
        return cls(counts=dict(counts), max_count=max_count, weights=weights)

    def __reduce__(self) -> tuple[type[TokenRarity], tuple[object, ...]]:
        # By its fields: the same pickle whether the class is compiled (native.py) or not.
        return TokenRarity, (self.counts, self.max_count, self.weights)

    def weight(self, text: str) -> float:
        return self.weights.get(text, 1.0)


def _weight(count: int, max_count: int) -> float:
    if count <= RARE_COUNT or max_count <= RARE_COUNT:
        return 1.0
    share = math.log(count / RARE_COUNT) / math.log(max_count / RARE_COUNT)
    return round(1.0 - (1.0 - MIN_WEIGHT) * share, 4)


NO_RARITY = TokenRarity()
