"""Officers' inspection results: stored, turned into training labels, and linked in the graph.

``record_result`` is what the API calls. A result becomes one row of the labels CSV that risk
retraining reads (``sgd.id, illicit, revenue`` plus provenance; random selections are flagged so an
evaluation can use only them), a document in the ``inspection_result`` index, and, for a seizure, the
``seized`` flag on the record's graph node, which makes it a seed of risk propagation.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from schemas.documents import InspectionResult, Outcome
from schemas.records import Record
from sekisho.settings import Settings

log = logging.getLogger(__name__)

LABEL_COLUMNS = [
    "sgd.id",
    "illicit",
    "revenue",
    "record_type",
    "outcome",
    "selection",
    "score",
    "port",
    "inspected_at",
    "result_id",
]
LABELS_FILE = "labels.csv"


def label_row(result: InspectionResult) -> dict[str, str]:
    """The training label of one result, in the risk model's column names."""
    return {
        "sgd.id": result.record_id,
        "illicit": "1" if result.illicit else "0",
        "revenue": f"{result.revenue_recovered:.2f}",
        "record_type": result.record_type,
        "outcome": result.outcome,
        "selection": result.selection,
        "score": "" if result.score is None else f"{result.score:.4f}",
        "port": result.port or "",
        "inspected_at": result.inspected_at.isoformat(),
        "result_id": result.id,
    }


def append_labels(rows: Iterable[dict[str, str]], path: Path) -> int:
    """Append label rows to the CSV (header written once); a result id already present is not repeated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seen = {row["result_id"] for row in read_labels(path)}
    fresh = [row for row in rows if row["result_id"] not in seen]
    new_file = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LABEL_COLUMNS)
        if new_file:
            writer.writeheader()
        writer.writerows(fresh)
    return len(fresh)


def read_labels(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class FeedbackOutcome:
    result: InspectionResult
    label: dict[str, str]
    labels_written: int
    indexed: bool = False
    seized_nodes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def record_result(
    result: InspectionResult,
    *,
    settings: Settings,
    elasticsearch: bool = True,
    extra_seized: Sequence[str] = (),
) -> FeedbackOutcome:
    """Store an officer's result: labels CSV always; the index and graph when Elasticsearch is up.

    ``extra_seized`` names other graph nodes the seizure implicates (e.g. the consignee), flagged too.
    Failures to reach Elasticsearch come back in ``errors``; the label is never lost.
    """
    s = settings
    row = label_row(result)
    written = append_labels([row], s.feedback_dir / LABELS_FILE)
    outcome = FeedbackOutcome(result=result, label=row, labels_written=written)
    if not elasticsearch:
        return outcome
    try:
        from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
        from sekisho import es_io

        es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], s)
        es_io.write_records([result], s)
        outcome.indexed = True
        if result.outcome == "seizure":
            from graph.store import EsGraphStore, refresh_risk

            store = EsGraphStore(s)
            seized = [result.record_id, *extra_seized]
            store.mark_seized(seized)
            store.refresh()
            refresh_risk(store, seized)
            outcome.seized_nodes = seized
    except Exception as exc:  # the stack may be down: the CSV label is kept, the caller sees why
        log.warning("inspection result %s stored in CSV only: %s", result.id, exc)
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
    return outcome


class RecordLookup(Protocol):
    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]: ...


def training_rows(labels: Iterable[dict[str, str]], lookup: RecordLookup) -> list[dict[str, Any]]:
    """Label rows joined with their records as the risk model's declaration rows (one per goods item).

    Consignments and declarations only (the risk model ranks goods); revenue is shared out evenly over
    a record's goods items; a label whose record cannot be found is left out.
    """
    from enrichment.risk.scorer import consignment_rows, declaration_rows

    by_type: dict[str, list[dict[str, str]]] = {}
    for label in labels:
        by_type.setdefault(label.get("record_type", ""), []).append(label)
    rows: list[dict[str, Any]] = []
    for record_type, convert in (("consignment", consignment_rows), ("declaration", declaration_rows)):
        wanted = by_type.get(record_type, [])
        found = {r.id: r for r in lookup.records(record_type, [w["sgd.id"] for w in wanted])} if wanted else {}
        for label in wanted:
            record = found.get(label["sgd.id"])
            if record is None:
                continue
            items = convert(record)  # type: ignore[arg-type]
            for item in items:
                item["illicit"] = int(label["illicit"])
                item["revenue"] = float(label["revenue"] or 0.0) / len(items)
            rows.extend(items)
    return rows


def retrain(model_dir: Path, lookup: RecordLookup, settings: Settings) -> Any:
    """Refit the risk model with the officers' results so far (``enrichment.risk.retrain``)."""
    from enrichment.risk.store import retrain as refit

    s = settings
    rows = training_rows(read_labels(s.feedback_dir / LABELS_FILE), lookup)
    if not rows:
        raise ValueError("no inspection results on consignments or declarations to learn from")
    return refit(model_dir, rows)


def results_from_rows(rows: Iterable[dict[str, Any]]) -> list[InspectionResult]:
    """Rebuild results from label rows (e.g. to replay them into the graph)."""
    results = []
    for row in rows:
        outcome: Outcome = row.get("outcome") or ("seizure" if row.get("illicit") == "1" else "nothing_found")
        results.append(
            InspectionResult(
                id=row.get("result_id", ""),
                record_id=row["sgd.id"],
                record_type=row.get("record_type", ""),
                outcome=outcome,
                revenue_recovered=float(row.get("revenue") or 0.0),
                inspected_at=datetime.fromisoformat(row["inspected_at"])
                if row.get("inspected_at")
                else datetime.now(UTC),
                selection=row.get("selection") or "other",
                port=row.get("port") or None,
                score=float(row["score"]) if row.get("score") else None,
            )
        )
    return results
