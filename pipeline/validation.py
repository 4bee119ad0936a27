"""Batch validation with Great Expectations suites generated from the schema's field facts.

A batch of records is flattened into one long frame (one row per annotated value: record id, field path,
value), and each expectation is scoped to its path with a ``row_condition``. One GE validation per batch
keeps the cost per record low. Records with a failed expectation become dead letters naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd
import pycountry

from schemas.generate import nested_facts
from schemas.records import RECORD_TYPES, Record, Rejection, make_id

HS_CODE_REGEX = r"^(0[1-9]|[1-8]\d|9[0-7])\d{2}(\d{2}){0,3}$"
AIRPORT_REGEX = r"^[A-Z]{3}$"


@dataclass(frozen=True)
class Check:
    """One generated expectation: a GE expectation class name, its column and keyword arguments."""

    expectation: str
    path: str  # "<record_type>.<dotted field path>"
    column: str
    kwargs: tuple[tuple[str, Any], ...]

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.path})"


def _countries() -> list[str]:
    return sorted({c.alpha_2 for c in pycountry.countries} | {"XK"})  # Kosovo is used on travel documents


def checks_for_fact(path: str, fact: str, today: date) -> list[Check]:
    if fact == "country":
        return [Check("ExpectColumnValuesToBeInSet", path, "text", (("value_set", tuple(_countries())),))]
    if fact == "airport":
        return [Check("ExpectColumnValuesToMatchRegex", path, "text", (("regex", AIRPORT_REGEX),))]
    if fact == "hs_code":
        return [Check("ExpectColumnValuesToMatchRegex", path, "text", (("regex", HS_CODE_REGEX),))]
    if fact == "positive":
        return [Check("ExpectColumnValuesToBeBetween", path, "number", (("min_value", 0),))]
    if fact == "past_date":
        return [Check("ExpectColumnValuesToBeBetween", path, "day",
                      (("min_value", datetime(1900, 1, 1)),
                       ("max_value", datetime(today.year, today.month, today.day))))]
    if fact == "check_digits":
        return [Check("ExpectColumnValuesToNotBeInSet", path, "text", (("value_set", ("false",)),))]
    return []


def generated_checks(today: date | None = None) -> list[Check]:
    """Every expectation derived from ``schemas.records`` (the single source of truth)."""
    day = today or datetime.now(UTC).date()
    checks: list[Check] = []
    for type_name, cls in RECORD_TYPES.items():
        if type_name == "rejection":
            continue
        for path, facts in sorted(nested_facts(cls).items()):
            for fact in sorted(facts):
                checks.extend(checks_for_fact(f"{type_name}.{path}", fact, day))
    return checks


def expectation_suite_json(today: date | None = None) -> dict[str, Any]:
    """The generated suite in GE's JSON form (what `sekisho schemas export` writes)."""
    return {
        "name": "sekisho-records",
        "expectations": [
            {"type": _snake(c.expectation), "kwargs": {"column": c.column, **dict(c.kwargs),
                                                       "row_condition": f'path=="{c.path}"',
                                                       "condition_parser": "pandas"}}
            for c in generated_checks(today)
        ],
    }


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name).lstrip("_")


def _leaf_values(data: Any, parts: list[str]) -> Iterable[Any]:
    if not parts:
        if isinstance(data, list):
            yield from data
        elif data is not None:
            yield data
        return
    if isinstance(data, list):
        for item in data:
            yield from _leaf_values(item, parts)
    elif isinstance(data, dict):
        yield from _leaf_values(data.get(parts[0]), parts[1:])


@lru_cache(maxsize=1)
def _paths() -> dict[str, list[str]]:
    return {t: sorted(nested_facts(cls)) for t, cls in RECORD_TYPES.items() if t != "rejection"}


def long_frame(records: Sequence[Record]) -> pd.DataFrame:
    rows: list[tuple[int, str, str | None, float | None, str | None]] = []
    paths = _paths()
    for position, record in enumerate(records):
        doc = record.model_dump(mode="json")
        for path in paths.get(record.record_type, []):
            for value in _leaf_values(doc, path.split(".")):
                number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
                text = json.dumps(value) if isinstance(value, bool) else str(value)
                day = str(value)[:10] if isinstance(value, str) and len(value) >= 10 else None
                rows.append((position, f"{record.record_type}.{path}", text, number, day))
    frame = pd.DataFrame(rows, columns=["position", "path", "text", "number", "day"])
    frame["day"] = pd.to_datetime(frame["day"], errors="coerce", format="ISO8601")
    return frame


class BatchValidator:
    """Runs the generated suite over batches of records with Great Expectations (ephemeral context)."""

    def __init__(self, today: date | None = None) -> None:
        import great_expectations as gx

        self._gx = gx
        self.checks = generated_checks(today)
        self._context = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self._context.data_sources.add_pandas("sekisho")
        asset = source.add_dataframe_asset("records")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        self._suites: dict[frozenset[str], Any] = {}

    def _suite_for(self, present: set[str]) -> Any:
        """The generated suite restricted to the field paths present in a batch (built once per shape):
        GE's cost grows with the number of expectations, and most batches hold one or two record types."""
        key = frozenset(c.path for c in self.checks if c.path in present)
        if key not in self._suites:
            self._suites[key] = self._build_suite([c for c in self.checks if c.path in key], len(self._suites))
        return self._suites[key]

    def _build_suite(self, checks: list[Check], number: int) -> Any:
        import great_expectations.expectations as gxe

        suite = self._gx.ExpectationSuite(name=f"sekisho-records-{number}")
        for check in checks:
            cls = getattr(gxe, check.expectation)
            suite.add_expectation(cls(column=check.column, row_condition=f'path=="{check.path}"',
                                      condition_parser="pandas", **dict(check.kwargs)))
        return self._context.suites.add(suite)

    def validate(self, records: Sequence[Record]) -> tuple[list[Record], list[Rejection]]:
        """Split a batch into valid records and dead letters (one per failing record)."""
        candidates = [r for r in records if not isinstance(r, Rejection)]
        passthrough = [r for r in records if isinstance(r, Rejection)]
        frame = long_frame(candidates)
        if frame.empty:
            return candidates, passthrough
        present = set(frame["path"])
        failures: dict[int, list[str]] = {}
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(self._suite_for(present), result_format={"result_format": "COMPLETE"})
        by_label = {c.label: c for c in self.checks}
        for outcome in result.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            path = str(config.kwargs.get("row_condition", "")).split('"')[1]
            if path not in present:
                continue
            label = f"{_camel(config.type)}({path})"
            check = by_label.get(label)
            for index in outcome.result.get("unexpected_index_list") or []:
                position = int(frame.at[int(index), "position"])
                failures.setdefault(position, []).append(check.label if check else label)
        valid: list[Record] = []
        rejected: list[Rejection] = list(passthrough)
        for position, record in enumerate(candidates):
            if position in failures:
                rejected.append(validation_rejection(record, failures[position]))
            else:
                valid.append(record)
        return valid, rejected


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def validation_rejection(record: Record, failed: list[str]) -> Rejection:
    raw = record.model_dump_json(exclude_none=True)
    return Rejection(
        id=make_id("rejection", record.id, "validate", *sorted(failed)),
        source_format=record.source_format,
        source=record.source,
        message_id=record.message_id,
        received_at=record.received_at,
        reason="validation.expectation",
        detail=f"{record.record_type} {record.id} failed: {', '.join(sorted(set(failed)))}",
        stage="validate",
        raw=raw[:65536],
        raw_size=len(raw),
        expectation=sorted(set(failed))[0],
        record_type_expected=record.record_type,
        record_id=record.id,
    )
