"""Analysts' grades of sources: overrides of the YAML grades, each change kept with who made it and why.

The YAML definition carries a source's initial grade; an analyst who learns more (a marketplace seller
proved reliable, a news site that published fabrications) regrades it through the API. The grade book is a
JSON file under ``SEKISHO_HOME`` (``crawl/source_grades.json``): the current override per source and the
full history of changes (the API's audit trail records the request too). Crawls apply the current grades
when they start (``apply_grades``), so every record from then on carries the new grade.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from crawlers.sources import SourceDefinition
from schemas.grading import Credibility, Reliability, grade_code


class GradeChange(BaseModel):
    """One regrading: the source, the grade before and after, who and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_name: str
    reliability: Reliability
    credibility: Credibility
    previous: str | None = None  # the grade before, e.g. "C3"
    by: str
    reason: str = Field(min_length=3, max_length=500)
    at: datetime

    @property
    def grade(self) -> str:
        return grade_code(self.reliability, self.credibility)


class GradeBook:
    """The current grade overrides and their history, in one JSON file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> list[GradeChange]:
        if not self.path.exists():
            return []
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return [GradeChange.model_validate(item) for item in data.get("changes", [])]

    def history(self, source_name: str | None = None) -> list[GradeChange]:
        """Every change, oldest first (of one source, if named)."""
        return [c for c in self._load() if source_name is None or c.source_name == source_name]

    def current(self) -> dict[str, GradeChange]:
        """The latest change per source."""
        return {change.source_name: change for change in self._load()}

    def regrade(
        self, source: SourceDefinition, reliability: Reliability, credibility: Credibility, *, by: str, reason: str
    ) -> GradeChange:
        with self._lock:
            changes = self._load()
            before = next((c.grade for c in reversed(changes) if c.source_name == source.name), source.grade)
            change = GradeChange(
                source_name=source.name,
                reliability=reliability,
                credibility=credibility,
                previous=before,
                by=by,
                reason=reason,
                at=datetime.now(UTC),
            )
            changes.append(change)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            body = {"changes": [c.model_dump(mode="json") for c in changes]}
            temporary.write_text(json.dumps(body, indent=1), encoding="utf-8")
            os.replace(temporary, self.path)
            return change


def apply_grades(sources: Mapping[str, SourceDefinition], book: GradeBook) -> dict[str, SourceDefinition]:
    """The sources with the analysts' current grades in place of their YAML grades."""
    current = book.current()
    return {
        name: source.model_copy(
            update={"reliability": current[name].reliability, "credibility": current[name].credibility}
        )
        if name in current
        else source
        for name, source in sources.items()
    }


def grade_book_path(home: Path) -> Path:
    return home / "crawl" / "source_grades.json"
