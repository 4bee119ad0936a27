"""Generators: everything derived from the declarations in ``schemas.records`` (and graph types).

The field facts (``schemas.records.FieldFact``) are read here and nowhere else:

- ``es_mapping(cls)``: the Elasticsearch mapping of a record type.
- ``index_version(cls)``: a short hash of that mapping, so a changed mapping gets a new index behind the alias.
- ``json_schema(cls)``: JSON Schema (pydantic's, with the field facts kept as ``x-sekisho`` keys).
- ``nested_facts(cls)``: dotted field path -> the facts on it, through nested models and lists.
- ``expectations(cls, today)``: the Great Expectations expectations of a record type, one ``Check`` per
  rule on a fact (``checks_for_fact``); ``generated_checks(today)`` for every record type and
  ``expectation_suite_json(today)`` the same in GE's JSON form.

The expectations run over the *validation frame* of a batch: one column per fact and form of its values
(``Check.frame_column``: ``<fact>:<form>``, the form one of ``VALUE_FORMS``: the value as text, as a
number, or as a day), holding the values found at every path that fact annotates. Every path a fact
annotates obeys the same rule, so one expectation per rule covers them all (``rules``), and a failing
row still names its path. ``pipeline.validation`` builds that frame and runs the checks; it knows no
rule of its own.
"""

from __future__ import annotations

import hashlib
import json
import types
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from schemas.records import RECORD_TYPES, FieldFact, Record

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


def index_settings(replicas: int = 0) -> dict[str, Any]:
    """One primary; ``replicas`` copies of it (0 on one node, 1 on a cluster so a lost node loses no shard)."""
    return {"number_of_shards": 1, "number_of_replicas": replicas, "refresh_interval": "1s"}


def json_schema(cls: type[BaseModel]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="serialization")
    for name, field in cls.model_fields.items():
        _, extra, _ = _unwrap(field.annotation)
        facts = _facts(field, extra)
        if facts and name in schema.get("properties", {}):
            schema["properties"][name]["x-sekisho"] = [f.name for f in facts]
    return schema


def nested_facts(cls: type[BaseModel], prefix: str = "") -> dict[str, tuple[FieldFact, ...]]:
    """Dotted path (through nested models and lists) -> facts, for every annotated leaf."""
    result: dict[str, tuple[FieldFact, ...]] = {}
    for name, field in cls.model_fields.items():
        base, extra, _ = _unwrap(field.annotation)
        path = f"{prefix}{name}"
        facts = tuple(dict.fromkeys(_facts(field, extra)))
        if facts:
            result[path] = facts
        if isinstance(base, type) and issubclass(base, BaseModel):
            result.update(nested_facts(base, prefix=f"{path}."))
    return result


# ---------------------------------------------------------------------------------------------
# Great Expectations

TEXT_COLUMN = "text"
NUMBER_COLUMN = "number"
DAY_COLUMN = "day"
VALUE_FORMS = (TEXT_COLUMN, NUMBER_COLUMN, DAY_COLUMN)


@dataclass(frozen=True)
class Check:
    """One generated expectation: a GE expectation class name, its path, the form of the values it reads
    and its keyword arguments."""

    expectation: str
    path: str  # "<record_type>.<dotted field path>"
    column: str  # one of VALUE_FORMS
    kwargs: tuple[tuple[str, Any], ...]
    fact: str  # the name of the FieldFact whose rule this is

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.path})"

    @property
    def expectation_type(self) -> str:
        """GE's name of the expectation (``ExpectColumnValuesToBeInSet`` -> ``expect_column_values_to_be_in_set``)."""
        return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in self.expectation).lstrip("_")

    @property
    def frame_column(self) -> str:
        """The validation frame's column the expectation reads: the values of every path its fact
        annotates, in this form."""
        return f"{self.fact}:{self.column}"

    @property
    def rule(self) -> tuple[str, str]:
        """What the check shares with every check of the same rule on other paths: one GE expectation."""
        return self.expectation_type, self.frame_column


def _as_datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def checks_for_fact(fact: FieldFact, path: str, today: date) -> list[Check]:
    """The expectations a fact's rule makes on the values at ``path`` (none for a fact without a rule)."""
    checks: list[Check] = []
    if fact.pattern is not None:
        checks.append(Check("ExpectColumnValuesToMatchRegex", path, TEXT_COLUMN, (("regex", fact.pattern),), fact.name))
    if fact.one_of is not None:
        checks.append(
            Check("ExpectColumnValuesToBeInSet", path, TEXT_COLUMN, (("value_set", tuple(sorted(fact.one_of))),),
                  fact.name)
        )
    if fact.none_of is not None:
        checks.append(
            Check("ExpectColumnValuesToNotBeInSet", path, TEXT_COLUMN, (("value_set", tuple(sorted(fact.none_of))),),
                  fact.name)
        )
    bounds = (("min_value", fact.minimum), ("max_value", fact.maximum))
    if any(value is not None for _, value in bounds):
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                path,
                NUMBER_COLUMN,
                tuple((key, value) for key, value in bounds if value is not None),
                fact.name,
            )
        )
    days = (
        ("min_value", _as_datetime(fact.earliest) if fact.earliest is not None else None),
        ("max_value", _as_datetime(today) if fact.not_after_today else None),
    )
    if any(value is not None for _, value in days):
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                path,
                DAY_COLUMN,
                tuple((key, value) for key, value in days if value is not None),
                fact.name,
            )
        )
    return checks


def _today(today: date | None) -> date:
    return today or datetime.now(UTC).date()


def expectations(cls: type[Record], today: date | None = None) -> list[Check]:
    """The expectations of one record type, generated from the facts on its fields (nested ones too)."""
    day = _today(today)
    checks: list[Check] = []
    for path, facts in sorted(nested_facts(cls).items()):
        for fact in sorted(facts, key=lambda f: f.name):
            checks.extend(checks_for_fact(fact, f"{cls.RECORD_TYPE}.{path}", day))
    return checks


def generated_checks(today: date | None = None) -> list[Check]:
    """Every expectation derived from ``schemas.records`` (dead letters have none: they are not validated)."""
    day = _today(today)
    return [check for cls in RECORD_TYPES.values() for check in expectations(cls, day)]


def rules(checks: Iterable[Check]) -> dict[tuple[str, str], list[Check]]:
    """The checks by rule (``Check.rule``): one GE expectation each, over the values of all their paths.
    Raises if two checks of one rule disagree on its arguments (two facts of one name)."""
    found: dict[tuple[str, str], list[Check]] = {}
    for check in checks:
        same = found.setdefault(check.rule, [])
        if same and same[0].kwargs != check.kwargs:
            raise ValueError(f"{check.label} and {same[0].label} share the rule {check.rule} with other arguments")
        same.append(check)
    return found


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


def expectation_suite_json(today: date | None = None) -> dict[str, Any]:
    """The generated suite in GE's JSON form (serialisable: days as ISO strings, sets as lists): one
    expectation per rule, its paths in ``meta``."""
    return {
        "name": "sekisho-records",
        "expectations": [
            {
                "type": c.expectation_type,
                "kwargs": {"column": c.frame_column, **{key: _json_value(value) for key, value in c.kwargs}},
                "meta": {"paths": [check.path for check in same]},
            }
            for same in rules(generated_checks(today)).values()
            for c in same[:1]
        ],
    }
