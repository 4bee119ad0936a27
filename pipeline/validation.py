"""Batch validation: runs the Great Expectations suite that ``schemas.generate`` derives from the field
facts, and turns failures into dead letters. No rule is written here.

A batch of records is flattened into one long frame (one row per checked value: the record's position,
its field path, the value as text, number and day; ``schemas.generate.FRAME_COLUMNS``), and each
expectation is scoped to its path with a ``row_condition``. One GE validation per batch keeps the cost per
record low. Records with a failed expectation become dead letters naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from schemas.generate import DAY_COLUMN, FRAME_COLUMNS, PATH_COLUMN, POSITION_COLUMN, Check, generated_checks
from schemas.records import Record, Rejection, make_id


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


def checked_paths(checks: Iterable[Check]) -> dict[str, list[str]]:
    """Record type -> the dotted field paths some check looks at."""
    paths: dict[str, set[str]] = {}
    for check in checks:
        record_type, _, path = check.path.partition(".")
        paths.setdefault(record_type, set()).add(path)
    return {record_type: sorted(found) for record_type, found in paths.items()}


def long_frame(records: Sequence[Record], paths: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The validation frame of a batch: one row per value at a checked path (``paths`` by record type)."""
    rows: list[tuple[int, str, str | None, float | None, str | None]] = []
    for position, record in enumerate(records):
        doc = record.model_dump(mode="json")
        for path in paths.get(record.record_type, []):
            for value in _leaf_values(doc, path.split(".")):
                number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
                text = json.dumps(value) if isinstance(value, bool) else str(value)
                day = str(value)[:10] if isinstance(value, str) and len(value) >= 10 else None
                rows.append((position, f"{record.record_type}.{path}", text, number, day))
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    frame[DAY_COLUMN] = pd.to_datetime(frame[DAY_COLUMN], errors="coerce", format="ISO8601")
    return frame


class BatchValidator:
    """Runs the generated suite over batches of records with Great Expectations (ephemeral context)."""

    def __init__(self, today: date | None = None) -> None:
        import great_expectations as gx

        self._gx = gx
        self.checks = generated_checks(today)
        self._paths = checked_paths(self.checks)
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
            kwargs = dict(check.kwargs)
            suite.add_expectation(
                cls(column=check.column, row_condition=check.row_condition, condition_parser="pandas", **kwargs)
            )
        return self._context.suites.add(suite)

    def validate(self, records: Sequence[Record]) -> tuple[list[Record], list[Rejection]]:
        """Split a batch into valid records and dead letters (one per failing record)."""
        candidates = [r for r in records if not isinstance(r, Rejection)]
        passthrough = [r for r in records if isinstance(r, Rejection)]
        frame = long_frame(candidates, self._paths)
        if frame.empty:
            return candidates, passthrough
        present = set(frame[PATH_COLUMN])
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
                position = int(frame.at[int(index), POSITION_COLUMN])
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
