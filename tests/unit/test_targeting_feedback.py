"""Officers' results become label rows (idempotently) and seizures become propagation seeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.analytics import InMemoryGraph, propagate_risk
from graph.model import Node, edge
from schemas.documents import InspectionResult
from sekisho.settings import Settings
from targeting.feedback import (
    LABEL_COLUMNS,
    append_labels,
    label_row,
    read_labels,
    record_result,
    results_from_rows,
)

WHEN = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def result(outcome: str = "seizure", revenue: float = 0.0, record_id: str = "consignment-1") -> InspectionResult:
    return InspectionResult(
        record_id=record_id,
        record_type="consignment",
        outcome=outcome,
        revenue_recovered=revenue,
        inspected_at=WHEN,
        selection="random",
        score=0.42,
        port="NRT",
    )


def test_label_row_in_risk_model_columns() -> None:
    row = label_row(result("revenue_recovered", 1234.5))
    assert list(row) == LABEL_COLUMNS
    assert row["sgd.id"] == "consignment-1" and row["illicit"] == "1" and row["revenue"] == "1234.50"
    assert row["selection"] == "random" and row["score"] == "0.4200"
    assert label_row(result("nothing_found"))["illicit"] == "0"


def test_result_id_is_deterministic() -> None:
    assert result().id == result().id and result().id.startswith("inspection_result-")
    assert result().id != result(record_id="consignment-2").id


def test_labels_append_once(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    assert append_labels([label_row(result())], path) == 1
    assert append_labels([label_row(result())], path) == 0
    assert append_labels([label_row(result(record_id="consignment-2"))], path) == 1
    rows = read_labels(path)
    assert [r["sgd.id"] for r in rows] == ["consignment-1", "consignment-2"]
    replayed = results_from_rows(rows)
    assert replayed[0] == result()


def test_record_result_without_elasticsearch_keeps_the_label(tmp_path: Path) -> None:
    settings = Settings(feedback_dir=tmp_path)
    outcome = record_result(result(), settings=settings, elasticsearch=False)
    assert outcome.labels_written == 1 and not outcome.indexed and not outcome.errors
    assert read_labels(tmp_path / "labels.csv")[0]["outcome"] == "seizure"


def test_record_result_with_elasticsearch_down_reports_the_error(tmp_path: Path) -> None:
    settings = Settings(feedback_dir=tmp_path, es_url="http://127.0.0.1:9", es_retry_max_seconds=0.0)
    outcome = record_result(result(), settings=settings)
    assert outcome.labels_written == 1 and outcome.errors and not outcome.indexed


def test_a_seizure_makes_its_neighbours_risky() -> None:
    nodes = [
        Node(id="consignment-1", kind="consignment", label="c1"),
        Node(id="party-1", kind="company", label="p"),
        Node(id="consignment-2", kind="consignment", label="c2"),
    ]
    edges = [
        edge("consigned_to", "consignment-1", "party-1"),
        edge("consigned_to", "consignment-2", "party-1"),
    ]
    before = {n.id: n.graph_risk for n in propagate_risk(InMemoryGraph(nodes, edges).all())}
    seized = [n.model_copy(update={"seized": n.id == "consignment-1"}) for n in nodes]
    after = {n.id: n.graph_risk for n in propagate_risk(InMemoryGraph(seized, edges).all())}
    assert before["consignment-2"] == 0.0 and after["consignment-2"] > 0.3


@pytest.mark.parametrize("outcome", ["nothing_found", "seizure", "revenue_recovered"])
def test_outcomes_validate(outcome: str) -> None:
    assert result(outcome).outcome == outcome


def test_labels_become_risk_model_rows_with_their_record() -> None:
    from schemas.records import Consignment, GoodsItem, Passenger
    from targeting.feedback import training_rows
    from targeting.sources import MemorySource

    cargo = Consignment(
        id="consignment-1",
        source_format="t",
        transport_document="160-1",
        destination="NRT",
        consignee_id="party-1",
        arrival_date=WHEN.date(),
        total_weight_kg=100,
        declared_value=50,
        goods=[
            GoodsItem(hs_code="845891", value=20, gross_weight_kg=40),
            GoodsItem(hs_code="846693", value=30, gross_weight_kg=60),
        ],
    )
    traveller = Passenger(id="passenger-1", source_format="t", full_name="X")
    labels = [
        label_row(result("revenue_recovered", 100.0)),
        label_row(result(record_id="passenger-1").model_copy(update={"record_type": "passenger"})),
        label_row(result(record_id="consignment-unknown")),
    ]
    rows = training_rows(labels, MemorySource([cargo, traveller]))
    assert [r["sgd.id"] for r in rows] == ["consignment-1#1", "consignment-1#2"]
    assert [r["tariff.code"] for r in rows] == ["845891", "846693"]
    assert all(r["illicit"] == 1 and r["revenue"] == 50.0 for r in rows)
    assert rows[0]["sgd.date"] == "2026-11-25" and rows[0]["importer.id"] == "party-1"
