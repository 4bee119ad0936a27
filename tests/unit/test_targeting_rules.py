"""Analyst rules: operators, groups, named lists, validation errors as data, hot reload on change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from schemas.records import GoodsItem
from targeting.facts import description_mismatch, load_reference
from targeting.rules import DEFAULT_RULES_DIR, RuleBook, RuleFileError, build_ruleset, evaluate

FACTS = {
    "record_type": "passenger",
    "booking.one_way": True,
    "booking.form_of_payment": "ca",
    "booking.hours_before_departure": 30.0,
    "route.countries": ["HK", "KP", "JP"],
    "passenger.nationality": "RU",
    "goods.descriptions": ["MACHINE PARTS"],
    "missing": None,
}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"booking.one_way": {"eq": True}}, True),
        ({"booking.form_of_payment": {"in": ["CA", "CASH"]}}, True),  # case-insensitive
        ({"booking.form_of_payment": {"not_in": ["CC"]}}, True),
        ({"booking.hours_before_departure": {"lt": 72, "ge": 24}}, True),
        ({"booking.hours_before_departure": {"between": [31, 72]}}, False),
        ({"route.countries": {"intersects": ["IR", "KP"]}}, True),
        ({"route.countries": {"contains": "SY"}}, False),
        ({"goods.descriptions": {"matches": r"\bparts\b"}}, True),
        ({"missing": {"exists": False}}, True),
        ({"missing": {"lt": 3}}, False),  # an unknown fact never satisfies a comparison
        ({"missing": {"ne": "X"}}, False),
        ({"any": [{"passenger.nationality": {"eq": "JP"}}, {"booking.one_way": {"eq": True}}]}, True),
        ({"all": [{"passenger.nationality": {"eq": "JP"}}, {"booking.one_way": {"eq": True}}]}, False),
        ({"not": {"passenger.nationality": {"eq": "JP"}}}, True),
    ],
)
def test_operators_and_groups(condition: dict[str, object], holds: bool) -> None:
    assert evaluate(condition, FACTS, {}, []) is holds


def test_named_lists_and_reasons() -> None:
    rules = build_ruleset(
        [
            (
                "t",
                """
lists:
  cash: [CA, CASH]
rules:
  - id: r1
    title: cash via listed country
    applies_to: [passenger]
    weight: 0.4
    when:
      all:
        - booking.form_of_payment: {in: $cash}
        - route.countries: {intersects: $listed_countries}
""",
            )
        ]
    )
    hits = rules.apply(FACTS)
    assert [h.rule_id for h in hits] == ["r1"]
    assert hits[0].because == [
        "booking.form_of_payment = ca in $cash",
        "route.countries = [HK, KP, JP] intersects $listed_countries",
    ]
    assert rules.apply({**FACTS, "record_type": "consignment"}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [{id: a, title: t, when: {x: {near: 1}}}]", "unknown operator"),
        ("rules: [{id: a, title: t, when: {all: []}}]", "non-empty list"),
        ("rules: [{id: a, title: t, weight: 3, when: {x: {eq: 1}}}]", "rule a: weight"),
        ("rules: [{id: a, title: t}]", "rule a: when"),
        (
            "rules: [{id: a, title: t, when: {x: {eq: 1}}}, {id: a, title: u, when: {x: {eq: 2}}}]",
            "defined twice",
        ),
        ("rules: [unclosed", "not valid YAML"),
    ],
)
def test_bad_rules_are_reported_with_their_name(text: str, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        build_ruleset([("f.yaml", text)])


def test_default_rules_load() -> None:
    book = RuleBook(DEFAULT_RULES_DIR)
    rules = book.current()
    assert book.error is None
    assert len(rules.rules) >= 8
    assert {"pax-one-way-cash-late", "cargo-undervalued", "cargo-description-hs-mismatch"} <= {
        r.id for r in rules.rules
    }


def _touch(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 2  # a distinct mtime even on coarse file systems
    os.utime(path, (stamp, stamp))


def test_hot_reload_on_change_and_keep_last_good_rules(tmp_path: Path) -> None:
    rule_file = tmp_path / "mine.yaml"
    _touch(rule_file, "rules: [{id: a, title: A, applies_to: [passenger], when: {booking.one_way: {eq: true}}}]")
    book = RuleBook(tmp_path)
    assert [h.rule_id for h in book.current().apply(FACTS)] == ["a"]
    assert book.current() is book.current() and book.loads == 1  # unchanged file: no reload

    _touch(rule_file, "rules: [{id: b, title: B, applies_to: [passenger], when: {booking.one_way: {eq: false}}}]")
    assert book.current().apply(FACTS) == [] and book.loads == 2

    _touch(rule_file, "rules: [{id: c, title: C, when: {booking.one_way: {approximately: 1}}}]")
    assert [r.id for r in book.current().rules] == ["b"]  # broken edit: previous rules stay in force
    assert book.error is not None and "approximately" in book.error

    (tmp_path / "more.yaml").write_text(
        "rules: [{id: d, title: D, applies_to: [passenger], when: {passenger.nationality: {eq: RU}}}]"
    )
    _touch(rule_file, "rules: []")
    assert [r.id for r in book.current().rules] == ["d"] and book.error is None


def test_description_hs_mismatch() -> None:
    ref = load_reference()
    parts_as_machine = description_mismatch(GoodsItem(description="MACHINE PARTS", hs_code="845891"), ref)
    assert parts_as_machine is not None and "heading 8458" in parts_as_machine
    assert description_mismatch(GoodsItem(description="PARTS FOR MACHINE TOOLS", hs_code="846693"), ref) is None
    toys = description_mismatch(GoodsItem(description="PLASTIC TOYS", hs_code="620342"), ref)
    assert toys is not None and "chapter 62" in toys
    assert description_mismatch(GoodsItem(description="LEATHER FOOTWEAR", hs_code="640399"), ref) is None
    assert description_mismatch(GoodsItem(description="ASSORTED", hs_code="950300"), ref) is None
