"""The generators derive mappings, JSON Schema and expectations from the one declaration."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.validation import BatchValidator
from schemas.generate import (
    VALUE_FORMS,
    checks_for_fact,
    es_mapping,
    expectation_suite_json,
    expectations,
    generated_checks,
    index_version,
    json_schema,
    nested_facts,
    rules,
)
from schemas.records import (
    COUNTRY,
    FIELD_FACTS,
    HS_CODE,
    HS_CODE_PATTERN,
    RECORD_TYPES,
    Consignment,
    FieldFact,
    GoodsItem,
    Passenger,
    Rejection,
    make_id,
)

TODAY = date(2026, 1, 1)


def test_text_fields_are_searchable_with_a_keyword_subfield() -> None:
    props = es_mapping(Passenger)["properties"]
    assert props["full_name"]["type"] == "text"
    assert props["full_name"]["fields"]["keyword"]["type"] == "keyword"
    assert props["nationality"] == {"type": "keyword", "ignore_above": 1024}
    assert props["date_of_birth"]["type"] == "date"
    assert props["documents"]["properties"]["check_digits_valid"] == {"type": "boolean"}


def test_nested_models_and_lists_map_to_objects() -> None:
    goods = es_mapping(Consignment)["properties"]["goods"]
    assert goods["type"] == "object"
    assert goods["properties"]["gross_weight_kg"] == {"type": "double"}
    assert goods["properties"]["description"]["type"] == "text"


def test_every_record_type_has_a_strict_mapping_with_the_common_fields() -> None:
    for cls in RECORD_TYPES.values():
        mapping = es_mapping(cls)
        assert mapping["dynamic"] == "strict"
        assert {"id", "record_type", "source_format", "screening", "risk"} <= set(mapping["properties"])


def test_raw_payloads_of_dead_letters_are_stored_not_indexed() -> None:
    assert es_mapping(Rejection)["properties"]["raw"] == {"type": "text", "index": False}


def test_index_version_changes_with_the_mapping_only() -> None:
    assert index_version(Passenger) == index_version(Passenger)
    assert index_version(Passenger) != index_version(Consignment)


def test_json_schema_keeps_field_facts() -> None:
    schema = json_schema(Passenger)
    assert schema["properties"]["nationality"]["x-sekisho"] == ["country"]


def test_facts_are_found_through_nested_lists() -> None:
    facts = nested_facts(Consignment)
    assert facts["goods.hs_code"] == (HS_CODE,)
    assert facts["goods.origin_country"] == (COUNTRY,)


def test_expectations_are_generated_from_the_facts() -> None:
    checks = {(c.expectation, c.path) for c in generated_checks(TODAY)}
    assert ("ExpectColumnValuesToBeInSet", "passenger.nationality") in checks
    assert ("ExpectColumnValuesToMatchRegex", "consignment.goods.hs_code") in checks
    assert ("ExpectColumnValuesToBeBetween", "passenger.date_of_birth") in checks
    assert ("ExpectColumnValuesToNotBeInSet", "passenger.documents.check_digits_valid") in checks
    suite = expectation_suite_json(TODAY)
    assert {e["type"] for e in suite["expectations"]} >= {"expect_column_values_to_be_in_set"}
    assert json.loads(json.dumps(suite)) == suite  # the JSON form is JSON


def test_one_expectation_per_rule_covers_every_path_the_fact_annotates() -> None:
    suite = expectation_suite_json(TODAY)
    in_set = [e for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_in_set"]
    countries = {e["kwargs"]["column"]: e for e in in_set}["country:text"]["meta"]["paths"]
    assert {"passenger.nationality", "passenger.documents.issuing_country", "declaration.country_of_origin"} <= set(
        countries
    )
    assert len(suite["expectations"]) == len(rules(generated_checks(TODAY))) < len(generated_checks(TODAY))
    paths = [p for e in suite["expectations"] for p in e["meta"]["paths"]]
    assert sorted(paths) == sorted(c.path for c in generated_checks(TODAY))  # every check, once


def test_two_facts_of_one_name_with_other_rules_are_refused() -> None:
    first = checks_for_fact(FieldFact("code", pattern="^[A-Z]$"), "a.x", TODAY)
    second = checks_for_fact(FieldFact("code", pattern="^[0-9]$"), "b.y", TODAY)
    with pytest.raises(ValueError, match="share the rule"):
        rules([*first, *second])


def test_every_fact_with_a_rule_produces_an_expectation() -> None:
    import great_expectations.expectations as gxe

    on_fields = {fact for cls in RECORD_TYPES.values() for facts in nested_facts(cls).values() for fact in facts}
    assert on_fields == set(FIELD_FACTS)  # every fact is declared in one place and used
    for fact in FIELD_FACTS:
        checks = checks_for_fact(fact, "x.y", TODAY)
        assert bool(checks) == fact.has_rule, fact
        assert all(hasattr(gxe, c.expectation) and c.column in VALUE_FORMS for c in checks)
    generated = {c.path for c in generated_checks(TODAY)}
    for type_name, cls in RECORD_TYPES.items():
        assert {c.path for c in expectations(cls, TODAY)} <= generated
        for path, facts in nested_facts(cls).items():
            assert any(f.has_rule for f in facts) == (f"{type_name}.{path}" in generated), path
    assert expectations(Rejection, TODAY) == []  # dead letters are not validated


def test_each_part_of_a_rule_becomes_its_own_expectation() -> None:
    fact = FieldFact(
        "all",
        pattern="^a$",
        one_of=frozenset({"a"}),
        none_of=frozenset({"b"}),
        minimum=0,
        maximum=1,
        earliest=date(2000, 1, 1),
        not_after_today=True,
    )
    kinds = [(c.expectation, c.column, dict(c.kwargs)) for c in checks_for_fact(fact, "x.y", TODAY)]
    assert kinds == [
        ("ExpectColumnValuesToMatchRegex", "text", {"regex": "^a$"}),
        ("ExpectColumnValuesToBeInSet", "text", {"value_set": ("a",)}),
        ("ExpectColumnValuesToNotBeInSet", "text", {"value_set": ("b",)}),
        ("ExpectColumnValuesToBeBetween", "number", {"min_value": 0, "max_value": 1}),
        (
            "ExpectColumnValuesToBeBetween",
            "day",
            {"min_value": datetime(2000, 1, 1), "max_value": datetime(2026, 1, 1)},
        ),
    ]


def test_the_hs_code_rule_is_the_harmonized_system() -> None:
    """Chapters 01-97 (77 is reserved): a 4-digit heading, a 6-digit subheading, or an 8- or 10-digit extension."""
    valid = ["0101", "8471", "010121", "970600", "84713000", "8471300010", "030617", "7601"]
    invalid = ["", "01", "847", "84713", "000000", "7701", "770100", "980000", "990000", "8471301", "847130001"]
    invalid += ["847130000100", "84713O", "8471.30"]  # separators are dropped by the feeds, not by the type
    assert [c for c in valid if not re.fullmatch(HS_CODE_PATTERN, c)] == []
    assert [c for c in invalid if re.fullmatch(HS_CODE_PATTERN, c)] == []
    assert [c for c in invalid if _constructs(c)] == []
    regexes = {dict(c.kwargs)["regex"] for c in generated_checks(TODAY) if c.path.endswith(".hs_code")}
    assert regexes == {HS_CODE_PATTERN}


@pytest.fixture(scope="module")
def validator() -> BatchValidator:
    return BatchValidator(today=TODAY)


def _constructs(code: str) -> bool:
    try:
        GoodsItem(hs_code=code)
    except ValidationError:
        return False
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes=st.lists(st.text(alphabet="0123456789", max_size=12), min_size=1, max_size=30, unique=True))
@example(codes=["010000", "970000", "980000", "000000", "0101", "01010101", "0101010101", "010101010101", "7701"])
def test_the_record_validator_and_the_expectation_agree_on_hs_codes(
    validator: BatchValidator, codes: list[str]
) -> None:
    # Goods items built without validation, so the expectation sees the codes construction would refuse.
    records = [
        Consignment(
            id=f"c{i}", source_format="t", transport_document="X", goods=[GoodsItem.model_construct(hs_code=code)]
        )
        for i, code in enumerate(codes)
    ]
    valid, rejected = validator.validate(records)
    passed = {r.id for r in valid}
    assert {code: f"c{i}" in passed for i, code in enumerate(codes)} == {code: _constructs(code) for code in codes}
    assert {r.expectation for r in rejected} <= {"ExpectColumnValuesToMatchRegex(consignment.goods.hs_code)"}


def test_ids_are_deterministic_and_typed() -> None:
    assert make_id("passenger", "P123", "JP") == make_id("passenger", " p123 ", "jp")
    assert make_id("passenger", "P123").startswith("passenger-")
    assert make_id("passenger", "P123") != make_id("party", "P123")
