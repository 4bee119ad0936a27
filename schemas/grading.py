"""Source grading on the scale intelligence analysts use (the "Admiralty" or NATO system).

A source's reliability is a letter (A completely reliable … E unreliable, F cannot be judged) and the
credibility of its information a digit (1 confirmed … 5 improbable, 6 cannot be judged). A grade travels
with every fact drawn from the source; ``grade_weight`` is how much such a fact counts in the graph and
the targeting score (an A1 finding counts fully, an F6 finding a sixth as much).
"""

from __future__ import annotations

from typing import Literal

Reliability = Literal["A", "B", "C", "D", "E", "F"]
Credibility = Literal[1, 2, 3, 4, 5, 6]

RELIABILITY: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
# "Cannot be judged" (F, 6) sits between "not usually reliable" and "unreliable": unknown is not bad,
# but it is not evidence of much either.
RELIABILITY_WEIGHT: dict[str, float] = {"A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.25, "F": 0.4}
CREDIBILITY_WEIGHT: dict[int, float] = {1: 1.0, 2: 0.85, 3: 0.7, 4: 0.5, 5: 0.25, 6: 0.4}

# A source nobody graded: nothing is known of it.
UNGRADED: tuple[Reliability, Credibility] = ("F", 6)


def grade_code(reliability: str, credibility: int) -> str:
    """``"B2"``."""
    return f"{reliability}{credibility}"


def parse_grade(code: str) -> tuple[Reliability, Credibility]:
    """``"B2"`` as ("B", 2); a clear error for anything off the scale."""
    text = code.strip().upper()
    if len(text) != 2 or text[0] not in RELIABILITY or not text[1].isdigit() or int(text[1]) not in CREDIBILITY:
        raise ValueError(f"not a source grade: {code!r} (reliability A-F then credibility 1-6, e.g. B2)")
    return text[0], int(text[1])  # type: ignore[return-value]


def grade_weight(reliability: str | None, credibility: int | None) -> float:
    """How much a fact from a source so graded counts, in (0, 1]; ungraded facts count as F6."""
    r = reliability if reliability in RELIABILITY_WEIGHT else UNGRADED[0]
    c = credibility if credibility in CREDIBILITY_WEIGHT else UNGRADED[1]
    return RELIABILITY_WEIGHT[r] * CREDIBILITY_WEIGHT[c]


def describe_grade(reliability: str, credibility: int) -> str:
    """``"B2: usually reliable, probably true"``."""
    return f"{grade_code(reliability, credibility)}: {RELIABILITY[reliability]}, {CREDIBILITY[credibility]}"
