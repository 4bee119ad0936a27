"""Name parts compared one by one, with the usual romanisation conventions folded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolution.name_parts import folded, part_score, parts_agreement


@pytest.mark.parametrize(
    ("left", "right"),
    [("ZHAO", "JAO"), ("WOLKOFF", "VOLKOV"), ("PRIYA", "PRIIA"), ("MAKSIM", "MAXIM"), ("TCHLOE", "CHLOE"),
     ("HA-EUN", "HAEUN"), ("SIU MAN", "SIUMAN"), ("LAOURA", "LAURA"), ("DEEPA", "DIPA"), ("Müller", "MULLER")],
)
def test_romanisations_fold_to_one_spelling(left: str, right: str) -> None:
    assert folded(left) == folded(right)
    assert part_score(left, right).score == 1.0


def test_a_slip_scores_by_length_and_other_names_stay_apart() -> None:
    assert part_score("GARCIA", "GAKIA").score == pytest.approx(0.8333, abs=1e-3)
    assert part_score("JOHN", "JOAN").score < 0.8  # a short name one letter off: often another name
    assert part_score("ALEXEI", "ALEXANDRA").score < 0.6


def test_fields_swapped_in_one_feed_are_compared_crosswise() -> None:
    agreement = parts_agreement(("VOLKOV", "DMITRI"), ("DMITRIY", "VOLKOV"))
    assert agreement is not None and agreement.weakest >= 0.9
    assert parts_agreement(("VOLKOV", "DMITRI"), None) is None


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ABCDEHIJKLOSTUVWYZ -", min_size=1, max_size=12),
       st.text(alphabet="ABCDEHIJKLOSTUVWYZ -", min_size=1, max_size=12))
def test_part_scores_are_symmetric_and_bounded(left: str, right: str) -> None:
    there, back = part_score(left, right), part_score(right, left)
    assert there.score == pytest.approx(back.score)
    assert 0.0 <= there.score <= 1.0
