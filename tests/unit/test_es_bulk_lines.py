"""The bulk body's lines that ``es_io`` writes itself are the ones the Elasticsearch client would write."""

from __future__ import annotations

import json

import pytest
from elasticsearch import helpers

from schemas.records import FlightLeg, Rejection
from sekisho import es_io
from sekisho.settings import get_settings


@pytest.mark.parametrize("record_id", ["l-1", 'quote"d', "back\\slash", "tab\tand\nnewline", "名前-é", "\u2028"])
def test_an_index_action_with_json_text_gets_the_clients_action_line(record_id: str) -> None:
    for record in (FlightLeg(id=record_id, source_format="t", carrier="JL", flight_number="1"),
                   Rejection(id=record_id, source_format="t", reason="r", detail="d", stage="parse")):
        action = es_io.bulk_action(record, get_settings(), source=es_io.document_json(record))
        line, source = es_io.bulk_lines(action)
        theirs = helpers.expand_action(action)
        assert isinstance(line, str) and json.loads(line) == theirs[0]
        assert source == theirs[1] == es_io.document_json(record)


@pytest.mark.parametrize("action", [
    {"_op_type": "update", "_index": "i", "_id": "1", "doc": {"a": 1}},
    {"_op_type": "delete", "_index": "i", "_id": "1"},
    {"_op_type": "index", "_index": "i", "_id": "1", "_source": {"a": 1}},
    {"_op_type": "index", "_index": "i", "_id": "1", "_source": "{}", "routing": "r"},
    {"_index": "i", "_id": "1", "_source": "{}"},
])
def test_every_other_action_is_expanded_by_the_client(action: dict[str, object]) -> None:
    assert es_io.bulk_lines(action) == helpers.expand_action(action)
