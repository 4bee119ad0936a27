"""The declaration table the risk model reads: column names, labels, and label-safe loading.

The column names follow the WCO BACUDA / DATE convention (``sgd.id``, ``importer.id``...), so public
customs-fraud datasets in that shape can be scored as they are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ID = "sgd.id"
DATE = "sgd.date"
IMPORTER = "importer.id"
DECLARANT = "declarant.id"
COUNTRY = "country"
OFFICE = "office.id"
TARIFF = "tariff.code"
QUANTITY = "quantity"
WEIGHT = "gross.weight"
FOB = "fob.value"
CIF = "cif.value"
TAXES = "total.taxes"

ILLICIT = "illicit"
REVENUE = "revenue"

CATEGORICAL_COLUMNS: tuple[str, ...] = (IMPORTER, DECLARANT, COUNTRY, OFFICE, TARIFF)
NUMERIC_COLUMNS: tuple[str, ...] = (QUANTITY, WEIGHT, FOB, CIF, TAXES)
DECLARATION_COLUMNS: tuple[str, ...] = (ID, DATE, *CATEGORICAL_COLUMNS, *NUMERIC_COLUMNS)
LABEL_COLUMNS: tuple[str, ...] = (ILLICIT, REVENUE)

# Column dtypes on load: ids stay strings (tariff codes keep their leading zeros).
_STRING_DTYPES: dict[str, str] = {column: "string" for column in (ID, *CATEGORICAL_COLUMNS)}


def normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a declaration table to the model's types; missing columns become empty."""
    columns: dict[str, pd.Series] = {}
    for column in (ID, *CATEGORICAL_COLUMNS):
        if column in frame.columns:
            values = frame[column].astype("string").str.strip()
            columns[column] = values.mask(values == "", pd.NA)
        else:
            columns[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    raw_dates = frame[DATE] if DATE in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    columns[DATE] = pd.to_datetime(raw_dates, errors="coerce").dt.normalize()
    for column in NUMERIC_COLUMNS:
        raw = frame[column] if column in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        columns[column] = pd.to_numeric(raw, errors="coerce").astype("float64")
    for column in LABEL_COLUMNS:
        if column in frame.columns:
            columns[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0).astype("float64")
    order = [c for c in (*DECLARATION_COLUMNS, *LABEL_COLUMNS) if c in columns]
    return pd.DataFrame({c: columns[c] for c in order}, index=frame.index)


def load_declarations(path: Path, *, with_labels: bool) -> pd.DataFrame:
    """Read a declaration CSV. With ``with_labels=False`` the label columns are dropped on load,

    so nothing downstream (scoring) can see them even by mistake.
    """
    header = pd.read_csv(path, nrows=0).columns
    wanted = [c for c in header if c in DECLARATION_COLUMNS or (with_labels and c in LABEL_COLUMNS)]
    frame = pd.read_csv(path, usecols=wanted, dtype=_STRING_DTYPES, keep_default_na=True)
    if with_labels:
        missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: training data needs the label columns {missing}")
    return normalise_frame(frame)


def strip_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The same table without its label columns."""
    return frame.drop(columns=[c for c in LABEL_COLUMNS if c in frame.columns])
