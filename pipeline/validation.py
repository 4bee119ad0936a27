"""Batch validation: runs the Great Expectations suite that ``schemas.generate`` derives from the field
facts, and turns failures into dead letters. No rule is written here.

A batch of records becomes one wide frame: a column per rule's fact and form of its values
(``Check.frame_column``, e.g. ``country:text``), holding the values found in the batch at every path that
fact annotates, one per row; the record position and the path of each row are kept beside the frame.
One expectation per rule (``schemas.generate.rules``) reads its column: all the country fields of all
record types are one ``ExpectColumnValuesToBeInSet``, not eleven, and GE filters nothing per expectation.
GE's cost grows with the number of expectations, not of rows. One GE validation covers the batch, in two
passes: the whole suite with GE's boolean results (cheap: most batches pass), then, for the expectations
that failed, the same expectations with the failing rows' indexes. Records with a failed expectation
become dead letters naming it and the path of the failing value, e.g.
``ExpectColumnValuesToBeInSet(passenger.nationality)``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from schemas.generate import DAY_COLUMN, NUMBER_COLUMN, Check, generated_checks, rules
from schemas.records import Record, Rejection, make_id

log = logging.getLogger(__name__)


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


def _in_form(value: Any, form: str) -> Any:
    """A value as the frame holds it: text (booleans as ``true``/``false``), number, or day (first 10
    characters of a string; parsed with the column)."""
    if form == NUMBER_COLUMN:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if form == DAY_COLUMN:
        return str(value)[:10] if isinstance(value, str) and len(value) >= 10 else None
    return json.dumps(value) if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class ValidationFrame:
    """The wide frame of a batch and, per column, the batch position of each row's record and the path
    of its value (``<record_type>.<dotted path>``)."""

    frame: pd.DataFrame
    rows: dict[str, list[tuple[int, str]]]


def wide_frame(records: Sequence[Record], checks: Sequence[Check]) -> ValidationFrame:
    """The validation frame of a batch: a column per ``Check.frame_column`` that has a value in the batch."""
    by_type: dict[str, dict[str, dict[str, str]]] = {}  # record type -> path -> form -> column
    form_of: dict[str, str] = {}  # column -> the form of its values
    for check in checks:
        record_type, _, path = check.path.partition(".")
        by_type.setdefault(record_type, {}).setdefault(path, {})[check.column] = check.frame_column
        form_of[check.frame_column] = check.column
    values: dict[str, list[Any]] = {}
    rows: dict[str, list[tuple[int, str]]] = {}
    for position, record in enumerate(records):
        paths = by_type.get(record.record_type)
        if not paths:
            continue
        doc = record.model_dump(mode="json")
        for path, columns in paths.items():
            leaves = list(_leaf_values(doc, path.split(".")))
            for form, column in columns.items():
                for leaf in leaves:
                    held = _in_form(leaf, form)
                    if held is not None:
                        values.setdefault(column, []).append(held)
                        rows.setdefault(column, []).append((position, f"{record.record_type}.{path}"))
    frame = pd.DataFrame({column: pd.Series(found) for column, found in values.items()})
    for column in frame.columns:
        if form_of[column] == DAY_COLUMN:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", format="ISO8601")
        elif form_of[column] == NUMBER_COLUMN:
            frame[column] = frame[column].astype(float)
    return ValidationFrame(frame, rows)


class BatchValidator:
    """Runs the generated suite over batches of records with Great Expectations (ephemeral context)."""

    def __init__(self, today: date | None = None) -> None:
        import great_expectations as gx

        self._gx = gx
        self.checks = generated_checks(today)
        self._rules = rules(self.checks)  # (GE type, frame column) -> the checks of that rule
        self._labels = {(check.rule, check.path): check.label for check in self.checks}
        self._context = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self._context.data_sources.add_pandas("sekisho")
        asset = source.add_dataframe_asset("records")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        self._suites: dict[frozenset[tuple[str, str]], Any] = {}

    def _suite_of(self, present: Iterable[tuple[str, str]]) -> Any:
        """A suite of some of the rules (built once per set): most batches hold one or two record types."""
        key = frozenset(present)
        if key not in self._suites:
            import great_expectations.expectations as gxe

            suite = self._gx.ExpectationSuite(name=f"sekisho-records-{len(self._suites)}")
            for rule in sorted(key):
                check = self._rules[rule][0]
                cls = getattr(gxe, check.expectation)
                suite.add_expectation(cls(column=check.frame_column, **dict(check.kwargs)))
            self._suites[key] = self._context.suites.add(suite)
        return self._suites[key]

    def _failed(
        self, frame: pd.DataFrame, present: Iterable[tuple[str, str]], result_format: str
    ) -> list[tuple[tuple[str, str], Any]]:
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(self._suite_of(present), result_format={"result_format": result_format})
        return [
            ((outcome.expectation_config.type, outcome.expectation_config.kwargs["column"]), outcome)
            for outcome in result.results
            if not outcome.success
        ]

    def validate(self, records: Sequence[Record]) -> tuple[list[Record], list[Rejection]]:
        """Split a batch into valid records and dead letters (one per failing record)."""
        candidates = [r for r in records if not isinstance(r, Rejection)]
        passthrough = [r for r in records if isinstance(r, Rejection)]
        found = wide_frame(candidates, self.checks)
        present = [rule for rule in self._rules if rule[1] in found.rows]
        if not present:
            return candidates, passthrough
        failing = [rule for rule, _ in self._failed(found.frame, present, "BOOLEAN_ONLY")]
        failures: dict[int, list[str]] = {}
        for rule, outcome in self._failed(found.frame, failing, "COMPLETE") if failing else []:
            indexes = outcome.result.get("unexpected_index_list") or []
            if not indexes:  # GE could not evaluate the expectation (it raised): no record is to blame
                log.warning("expectation %s %s failed on no row: %s", *rule, outcome.exception_info)
            rows = found.rows[rule[1]]
            for index in indexes:
                position, path = rows[int(index)]
                failures.setdefault(position, []).append(self._labels[(rule, path)])
        valid: list[Record] = []
        rejected: list[Rejection] = list(passthrough)
        for position, record in enumerate(candidates):
            if position in failures:
                rejected.append(validation_rejection(record, failures[position]))
            else:
                valid.append(record)
        return valid, rejected


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
