"""The generators derive mappings, JSON Schema and expectations from the one declaration."""

from __future__ import annotations

from datetime import date

from pipeline.validation import expectation_suite_json, generated_checks
from schemas.generate import es_mapping, index_version, json_schema, nested_facts
from schemas.records import RECORD_TYPES, Consignment, Passenger, Rejection, make_id


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
    assert facts["goods.hs_code"] == {"hs_code"}
    assert facts["goods.origin_country"] == {"country"}


def test_expectations_are_generated_from_the_facts() -> None:
    checks = {(c.expectation, c.path) for c in generated_checks(date(2026, 1, 1))}
    assert ("ExpectColumnValuesToBeInSet", "passenger.nationality") in checks
    assert ("ExpectColumnValuesToMatchRegex", "consignment.goods.hs_code") in checks
    assert ("ExpectColumnValuesToBeBetween", "passenger.date_of_birth") in checks
    assert ("ExpectColumnValuesToNotBeInSet", "passenger.documents.check_digits_valid") in checks
    suite = expectation_suite_json(date(2026, 1, 1))
    assert {e["type"] for e in suite["expectations"]} >= {"expect_column_values_to_be_in_set"}


def test_ids_are_deterministic_and_typed() -> None:
    assert make_id("passenger", "P123", "JP") == make_id("passenger", " p123 ", "jp")
    assert make_id("passenger", "P123").startswith("passenger-")
    assert make_id("passenger", "P123") != make_id("party", "P123")
