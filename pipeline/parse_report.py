"""What parsing made of each fed file: records by type, warnings by code, dead letters by reason.

``sekisho ingest`` prints it per file and writes it as JSON (``--report``), so an operator sees at once
which file lost what and why, before looking at the dead-letter topic. A message-level warning appears on
every record of its message; it is counted once per message here (by code and detail), not per record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.records import Record, Rejection


@dataclass
class FileReport:
    source: str
    records: Counter[str] = field(default_factory=Counter)  # by record type
    warnings: Counter[str] = field(default_factory=Counter)  # by code, each distinct warning once
    dead_letters: Counter[str] = field(default_factory=Counter)  # by reason
    details: list[str] = field(default_factory=list)  # the dead letters' details, for the operator

    def add(self, records: Iterable[Record]) -> None:
        seen: set[tuple[str, str]] = set()
        for record in records:
            if isinstance(record, Rejection):
                self.dead_letters[record.reason] += 1
                self.details.append(f"{record.reason}: {record.detail}")
            else:
                self.records[record.record_type] += 1
            for warning in record.parse_warnings:
                if (warning.code, warning.detail) not in seen:
                    seen.add((warning.code, warning.detail))
                    self.warnings[warning.code] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": dict(sorted(self.records.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "dead_letters": dict(sorted(self.dead_letters.items())),
            "dead_letter_details": self.details,
        }


def report_of(source: str, records: Iterable[Record]) -> FileReport:
    report = FileReport(source)
    report.add(records)
    return report


def totals(reports: Sequence[FileReport]) -> FileReport:
    total = FileReport("total")
    for report in reports:
        total.records.update(report.records)
        total.warnings.update(report.warnings)
        total.dead_letters.update(report.dead_letters)
    return total


def report_json(reports: Sequence[FileReport]) -> dict[str, Any]:
    summary = totals(reports).as_json()
    del summary["source"], summary["dead_letter_details"]
    return {"files": [r.as_json() for r in reports], "total": summary}
