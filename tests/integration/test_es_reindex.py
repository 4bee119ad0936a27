"""A changed mapping moves the alias to a new versioned index only after the documents were copied into it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from schemas.generate import es_mapping, index_settings
from schemas.graph import Node
from schemas.indexed import NODE_TYPE
from sekisho import es_io
from sekisho.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def private(stack: Settings) -> Iterator[Settings]:
    settings = stack.model_copy(update={"namespace": f"{stack.namespace}-reindex{uuid.uuid4().hex[:4]}"})
    yield settings
    es_io.delete_namespace(settings)


def _old_index(settings: Settings, extra: dict[str, Any]) -> str:
    """An index of an earlier mapping (the current one plus ``extra`` fields) behind the type's alias."""
    es = es_io.client(settings)
    alias = es_io.alias_name(NODE_TYPE, settings)
    old = f"{alias}-0000000000"
    mapping = es_mapping(Node)
    mapping["properties"].update(extra)
    es.indices.create(index=old, body={"settings": index_settings(), "mappings": mapping})
    es.indices.update_aliases(body={"actions": [{"add": {"index": old, "alias": alias}}]})
    return old


def _node(n: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"node-{n}", "kind": "phone", "label": f"+81 3 0000 00{n:02d}", "value": f"+8130000{n:02d}",
            **extra}


def test_mapping_change_reindexes_before_the_alias_moves(private: Settings) -> None:
    es = es_io.client(private)
    old = _old_index(private, {"legacy_score": {"type": "double"}})
    for n in range(5):
        es.index(index=old, id=f"node-{n}", document=_node(n, legacy_score=0.5))
    es.indices.refresh(index=old)
    assert es_io.count(NODE_TYPE, private) == 5

    name = es_io.ensure_index(NODE_TYPE, private)

    assert name == es_io.index_name(NODE_TYPE, private) != old
    assert list(es.indices.get_alias(name=es_io.alias_name(NODE_TYPE, private))) == [name]
    assert not es.indices.exists(index=old)  # dropped once its documents are in the new index
    assert es_io.count(NODE_TYPE, private) == 5  # nothing vanished behind the alias
    doc = es_io.get(NODE_TYPE, "node-3", private)
    assert doc is not None and doc["label"] == "+81 3 0000 0003"
    assert "legacy_score" not in doc  # a field the new mapping no longer has is dropped, not refused
    assert Node.model_validate(doc).value == "+813000003"

    # Documents written after the move land in the new index beside the copied ones; a second call changes nothing.
    es_io.write_records([Node.model_validate(_node(9))], private)
    es_io.refresh(private)
    assert es_io.ensure_index(NODE_TYPE, private) == name
    assert es_io.count(NODE_TYPE, private) == 6


def test_documents_that_do_not_fit_keep_the_alias_where_it_was(private: Settings) -> None:
    es = es_io.client(private)
    old = _old_index(private, {"kind": {"type": "object", "enabled": False}})  # kind was free-form then
    es.index(index=old, id="node-1", document={**_node(1), "kind": {"not": "a keyword"}}, refresh=True)

    with pytest.raises(es_io.ReindexError, match="do not fit"):
        es_io.ensure_index(NODE_TYPE, private)
    assert list(es.indices.get_alias(name=es_io.alias_name(NODE_TYPE, private))) == [old]
    assert es_io.count(NODE_TYPE, private) == 1
