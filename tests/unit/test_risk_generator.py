"""The synthetic declaration generator: deterministic, in the contract's layout, with a usable time split."""

from __future__ import annotations

import pandas as pd

from enrichment.risk import columns as col
from enrichment.risk.generator import TARIFF_LINES, generate_declarations


def test_same_seed_same_table_and_other_seed_differs() -> None:
    first = generate_declarations(2000, seed=11)
    again = generate_declarations(2000, seed=11)
    other = generate_declarations(2000, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first[col.FOB].equals(other[col.FOB])


def test_columns_types_and_labels() -> None:
    frame = generate_declarations(3000, seed=3)
    assert list(frame.columns) == [*col.DECLARATION_COLUMNS, *col.LABEL_COLUMNS]
    assert len(frame) == 3000 and frame[col.ID].is_unique
    assert frame[col.DATE].is_monotonic_increasing
    assert set(frame[col.TARIFF]) <= {line.code for line in TARIFF_LINES}
    assert frame[col.TARIFF].str.fullmatch(r"\d{6}").all()
    assert set(frame[col.ILLICIT].unique()) == {0, 1}
    illicit = frame[col.ILLICIT] == 1
    assert (frame.loc[illicit, col.REVENUE] > 0).all()
    assert (frame.loc[~illicit, col.REVENUE] == 0).all()
    assert 0.03 < illicit.mean() < 0.15
    for column in col.NUMERIC_COLUMNS:
        assert (frame[column] >= 0).all(), column
    assert (frame[col.CIF] >= frame[col.FOB] * 0.95).all()


def test_new_importers_keep_arriving() -> None:
    frame = generate_declarations(6000, seed=5)
    dates = pd.to_datetime(frame[col.DATE])
    split = dates.quantile(0.8)
    earlier = set(frame.loc[dates < split, col.IMPORTER])
    later = frame.loc[dates >= split, col.IMPORTER]
    new_share = (~later.isin(earlier)).mean()
    assert 0.02 < new_share < 0.5


def test_round_trips_through_the_loader(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "declarations.csv"
    frame = generate_declarations(500, seed=1)
    frame.to_csv(path, index=False)
    loaded = col.load_declarations(path, with_labels=True)
    assert list(loaded[col.TARIFF]) == list(frame[col.TARIFF])  # leading zeros kept
    assert loaded[col.ILLICIT].sum() == frame[col.ILLICIT].sum()
