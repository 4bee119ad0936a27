"""The ``Scorer`` protocol and the pure stages that put a risk assessment on records.

``load_scorer(model_dir)`` gives a scorer over a trained model directory. ``score_declaration`` and
``score_consignment`` map a record's fields onto the model's declaration columns (one row per goods
item; the record's risk is its riskiest item) and return the record with ``risk`` filled. Figures a
record lacks (a consignment has no declarant or taxes) are left missing and the model fills them from
the tariff-code norms, so they neither raise nor lower the risk by themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from enrichment.risk import columns as col
from enrichment.risk.model import RiskModel
from enrichment.risk.store import load_model
from schemas.records import Consignment, Declaration, GoodsItem, Record, RiskAssessment


class Scorer(Protocol):
    """Anything that rates declaration rows (dicts keyed by the model's column names)."""

    @property
    def name(self) -> str: ...

    def score_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[RiskAssessment]: ...


class ModelScorer:
    """A ``Scorer`` over a trained ``RiskModel``; label columns in the rows are ignored."""

    def __init__(self, model: RiskModel, top_reasons: int = 3) -> None:
        self.model = model
        self.top_reasons = top_reasons

    @property
    def name(self) -> str:
        return self.model.name

    def score_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[RiskAssessment]:
        if not rows:
            return []
        frame = col.normalise_frame(col.strip_labels(pd.DataFrame([dict(row) for row in rows])))
        return [
            RiskAssessment(score=score, model=self.name, reasons=reasons, contributions=contributions)
            for score, reasons, contributions in self.model.explain(frame, top=self.top_reasons)
        ]


def load_scorer(model_dir: Path) -> Scorer:
    return ModelScorer(load_model(model_dir))


def _day(*moments: datetime | date | None) -> str:
    for moment in moments:
        if isinstance(moment, datetime):
            return moment.date().isoformat()
        if isinstance(moment, date):
            return moment.isoformat()
    return date.today().isoformat()


def _item_rows(
    base: dict[str, Any],
    goods: Sequence[GoodsItem],
    *,
    quantity: float | None,
    weight: float | None,
    value: float | None,
    taxes: float | None,
) -> list[dict[str, Any]]:
    """One model row per goods item; record-level figures are shared out by value (or evenly)."""
    if not goods:
        return [{**base, col.QUANTITY: quantity, col.WEIGHT: weight, col.FOB: value, col.TAXES: taxes}]
    single = len(goods) == 1
    item_values = [item.value for item in goods]
    known_total = sum(v for v in item_values if v is not None)
    rows = []
    for position, item in enumerate(goods):
        share = (
            item.value / known_total
            if item.value is not None and known_total > 0 and all(v is not None for v in item_values)
            else 1.0 / len(goods)
        )
        rows.append(
            {
                **base,
                col.ID: f"{base[col.ID]}#{item.sequence if item.sequence is not None else position + 1}",
                col.COUNTRY: item.origin_country or base.get(col.COUNTRY),
                col.TARIFF: item.hs_code,
                col.QUANTITY: item.quantity if item.quantity is not None else (quantity if single else None),
                col.WEIGHT: item.gross_weight_kg
                if item.gross_weight_kg is not None
                else (weight * share if weight is not None else None),
                col.FOB: item.value if item.value is not None else (value * share if value is not None else None),
                col.TAXES: taxes * share if taxes is not None else None,
            }
        )
    return rows


def declaration_rows(record: Declaration) -> list[dict[str, Any]]:
    """A declaration as the model's rows (one per goods item)."""
    base: dict[str, Any] = {
        col.ID: record.id,
        col.DATE: _day(record.declared_at, record.received_at),
        col.IMPORTER: record.importer_id or record.importer_name,
        col.DECLARANT: record.declarant_id or record.declarant_name,
        col.COUNTRY: record.country_of_origin or record.country_of_export,
        col.OFFICE: record.office_id,
    }
    return _item_rows(
        base,
        record.goods,
        quantity=None,
        weight=record.total_gross_weight_kg,
        value=record.invoice_value,
        taxes=record.total_taxes,
    )


def consignment_rows(record: Consignment) -> list[dict[str, Any]]:
    """A consignment as the model's rows: the consignee is the importer; there is no declarant or tax."""
    base: dict[str, Any] = {
        col.ID: record.id,
        col.DATE: _day(record.arrival_date, record.received_at),
        col.IMPORTER: record.consignee_id or record.consignee_name,
        col.DECLARANT: None,
        col.COUNTRY: None,
        col.OFFICE: record.port_of_arrival or record.destination,
    }
    # Pieces are packages, not the goods' units: leave the quantity to the tariff-code norm.
    return _item_rows(
        base,
        record.goods,
        quantity=None,
        weight=record.total_weight_kg,
        value=record.declared_value,
        taxes=None,
    )


R = TypeVar("R", bound=Record)


def _assess(record: R, rows: list[dict[str, Any]], scorer: Scorer) -> R:
    assessments = scorer.score_rows(rows)
    if not assessments:
        return record
    riskiest = max(assessments, key=lambda assessment: assessment.score)
    return record.model_copy(update={"risk": riskiest})


def score_declaration(record: Declaration, scorer: Scorer) -> Declaration:
    """Pure stage: the declaration with ``risk`` filled (its riskiest goods item)."""
    return _assess(record, declaration_rows(record), scorer)


def score_consignment(record: Consignment, scorer: Scorer) -> Consignment:
    """Pure stage: the consignment with ``risk`` filled, missing customs figures imputed by the model."""
    return _assess(record, consignment_rows(record), scorer)


def score_records(records: Sequence[Record], scorer: Scorer) -> list[Record]:
    """Score the declarations and consignments of a batch in one model call; other records pass through."""
    rows: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    for record in records:
        if isinstance(record, Declaration):
            record_rows = declaration_rows(record)
        elif isinstance(record, Consignment):
            record_rows = consignment_rows(record)
        else:
            record_rows = []
        spans.append((len(rows), len(rows) + len(record_rows)))
        rows.extend(record_rows)
    assessments = scorer.score_rows(rows) if rows else []
    out: list[Record] = []
    for record, (start, end) in zip(records, spans, strict=True):
        if end > start:
            riskiest = max(assessments[start:end], key=lambda assessment: assessment.score)
            out.append(record.model_copy(update={"risk": riskiest}))
        else:
            out.append(record)
    return out


def inspection_feedback_rows(
    record: Declaration | Consignment, illicit: bool, revenue: float = 0.0
) -> list[dict[str, Any]]:
    """An officer's inspection result as labelled rows for ``store.retrain``.

    Every goods row of the record carries the outcome; the revenue recovered is shared out by value.
    """
    rows = declaration_rows(record) if isinstance(record, Declaration) else consignment_rows(record)
    values = [float(row.get(col.FOB) or 0.0) for row in rows]
    total = sum(values)
    out = []
    for row, value in zip(rows, values, strict=True):
        share = value / total if total > 0 else 1.0 / len(rows)
        out.append(
            {**row, col.ILLICIT: 1 if illicit else 0, col.REVENUE: round(revenue * share, 2) if illicit else 0.0}
        )
    return out
