"""Generators: everything derived from the declarations in ``schemas.records`` (and graph types).

- ``es_mapping(cls)``: the Elasticsearch mapping of a record type.
- ``index_version(cls)``: a short hash of that mapping, so a changed mapping gets a new index behind the alias.
- ``json_schema(cls)``: JSON Schema (pydantic's, with the field facts kept as ``x-sekisho`` keys).
- ``expectations(cls)``: Great Expectations expectation configurations for a record type.
"""

from __future__ import annotations

import hashlib
import json
import types
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from schemas.records import FieldFact

TEXT_WITH_KEYWORD: dict[str, Any] = {
    "type": "text",
    "fields": {"keyword": {"type": "keyword", "ignore_above": 512}},
}


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """Strip Optional/list/Annotated layers: (base type, metadata found, is_list)."""
    metadata: list[Any] = []
    is_list = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            metadata.extend(extra)
            annotation = base
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else str
        elif origin in (list, tuple, set, frozenset):
            is_list = True
            annotation = get_args(annotation)[0]
        else:
            return annotation, metadata, is_list


def _facts(field: FieldInfo, extra: list[Any]) -> list[FieldFact]:
    return [m for m in [*field.metadata, *extra] if isinstance(m, FieldFact)]


def _field_mapping(field: FieldInfo) -> dict[str, Any]:
    base, extra, _ = _unwrap(field.annotation)
    facts = {f.name for f in _facts(field, extra)}
    if "text" in facts:
        return dict(TEXT_WITH_KEYWORD)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return {"type": "object", "properties": _properties(base)}
    if get_origin(base) is dict or base is dict:
        return {"type": "object", "enabled": False}  # free-form maps are stored, not indexed
    if get_origin(base) is Literal or base is str:
        return {"type": "keyword", "ignore_above": 1024}
    if base is bool:
        return {"type": "boolean"}
    if base is int:
        return {"type": "long"}
    if base is float:
        return {"type": "double"}
    if base is datetime:
        return {"type": "date"}
    if base is date:
        return {"type": "date", "format": "strict_date_optional_time||yyyy-MM-dd"}
    return {"type": "keyword", "ignore_above": 1024}


def _properties(cls: type[BaseModel]) -> dict[str, Any]:
    return {name: _field_mapping(field) for name, field in cls.model_fields.items()}


def es_mapping(cls: type[BaseModel]) -> dict[str, Any]:
    # Raw payloads of dead letters are kept but not indexed (they can be large and hostile).
    props = _properties(cls)
    if "raw" in props:
        props["raw"] = {"type": "text", "index": False}
    return {"dynamic": "strict", "properties": props}


def index_version(cls: type[BaseModel]) -> str:
    body = json.dumps(es_mapping(cls), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:10]


def index_settings() -> dict[str, Any]:
    return {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}


def json_schema(cls: type[BaseModel]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="serialization")
    for name, field in cls.model_fields.items():
        _, extra, _ = _unwrap(field.annotation)
        facts = _facts(field, extra)
        if facts and name in schema.get("properties", {}):
            schema["properties"][name]["x-sekisho"] = [f.name for f in facts]
    return schema


def nested_facts(cls: type[BaseModel], prefix: str = "") -> dict[str, set[str]]:
    """Dotted path (through nested models and lists) -> facts, for every annotated leaf."""
    result: dict[str, set[str]] = {}
    for name, field in cls.model_fields.items():
        base, extra, _ = _unwrap(field.annotation)
        path = f"{prefix}{name}"
        facts = {f.name for f in _facts(field, extra)}
        if facts:
            result[path] = facts
        if isinstance(base, type) and issubclass(base, BaseModel):
            result.update(nested_facts(base, prefix=f"{path}."))
    return result

