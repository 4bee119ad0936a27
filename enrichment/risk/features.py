"""Generic customs-risk features: entity risk profiles from the past, and value/weight/tax norms.

Following the WCO BACUDA / DATE line of work, a declaration is described by
- entity-level target statistics (importer, declarant, origin, office, tariff code, HS heading and
  their pairs): the smoothed share of past illicit declarations, the smoothed mean log revenue
  recovered, and how many labelled declarations the entity has (cold start: an unseen importer gets
  the prior, a zero count, and still its declarant's, origin's and tariff code's profiles);
- norms of the tariff code (and code x origin): how far the declared unit value per kg, weight per
  unit and effective tax rate sit from what is usual for that code;
- per-row ratios (value per kg and per unit, CIF/FOB, taxes/CIF) and log magnitudes.

Target statistics of a training row use only declarations dated strictly before it, so the model
learns from features that look like the ones it will see when scoring future declarations against
the whole labelled history. Nothing here depends on how the training data was generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrichment.risk import columns as col

HS4 = "hs4"
MISSING_KEY = "\u2205"
SMOOTHING = 10.0
MIN_NORM_SUPPORT = 10  # a code (or code x origin) norm needs this many declarations, else the coarser one

# Entity keys whose past outcomes become features (name -> the columns forming the key).
ENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "importer": (col.IMPORTER,),
    "declarant": (col.DECLARANT,),
    "country": (col.COUNTRY,),
    "office": (col.OFFICE,),
    "tariff": (col.TARIFF,),
    "hs4": (HS4,),
    "country_tariff": (col.COUNTRY, col.TARIFF),
    "importer_tariff": (col.IMPORTER, col.TARIFF),
    "importer_country": (col.IMPORTER, col.COUNTRY),
    "declarant_office": (col.DECLARANT, col.OFFICE),
}
ENTITY_STATS: tuple[str, ...] = ("n", "illicit", "log_revenue", "first_day")

# Label-free per-row quantities whose usual value per tariff code is learnt from the history.
NORM_QUANTITIES: tuple[str, ...] = ("log_value_per_kg", "log_kg_per_unit", "tax_rate", "log_value_per_unit")
NORM_KEYS: dict[str, tuple[str, ...]] = {
    "tariff": (col.TARIFF,),
    "hs4": (HS4,),
    "country_tariff": (col.COUNTRY, col.TARIFF),
}
NORM_STATS: tuple[str, ...] = (
    *(f"{q}_median" for q in NORM_QUANTITIES),
    *(f"{q}_spread" for q in NORM_QUANTITIES),
)

FloatArray = npt.NDArray[np.float64]


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return MISSING_KEY
    return str(value)


def _key_values(frame: pd.DataFrame, parts: tuple[str, ...]) -> list[str]:
    """The entity key of each row (missing parts become a marker that no real id equals)."""
    columns = []
    for part in parts:
        if part == HS4:
            columns.append([_text(v)[:4] if _text(v) != MISSING_KEY else MISSING_KEY for v in frame[col.TARIFF]])
        else:
            columns.append([_text(v) for v in frame[part]])
    if len(columns) == 1:
        return columns[0]
    return ["|".join(values) for values in zip(*columns, strict=True)]


def _key_series(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.Series:
    return pd.Series(_key_values(frame, parts), index=frame.index, dtype=object)


def _log_positive(values: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def _ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def _numbers(frame: pd.DataFrame, column: str) -> FloatArray:
    return np.asarray(frame[column].to_numpy(dtype="float64", na_value=np.nan), dtype="float64")


def row_quantities(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row ratios and magnitudes (no history needed)."""
    return pd.DataFrame(_row_quantities(frame), index=frame.index)


def _row_quantities(frame: pd.DataFrame) -> dict[str, FloatArray]:
    quantity, weight = _numbers(frame, col.QUANTITY), _numbers(frame, col.WEIGHT)
    fob, cif, taxes = _numbers(frame, col.FOB), _numbers(frame, col.CIF), _numbers(frame, col.TAXES)
    cif = np.where(np.isnan(cif), fob, cif)
    out = {
        "log_quantity": _log_positive(quantity),
        "log_weight": _log_positive(weight),
        "log_fob": _log_positive(fob),
        "log_cif": _log_positive(cif),
        "log_taxes": np.log1p(np.clip(taxes, 0, None)),
    }
    out["log_value_per_kg"] = out["log_cif"] - out["log_weight"]
    out["log_value_per_unit"] = out["log_cif"] - out["log_quantity"]
    out["log_kg_per_unit"] = out["log_weight"] - out["log_quantity"]
    out["tax_rate"] = _ratio(taxes, cif)
    out["cif_fob_ratio"] = _ratio(cif, fob)
    return out


@dataclass
class Profiles:
    """What the model remembers from the labelled history; saved next to the model."""

    prior_rate: float
    prior_log_revenue: float
    entity: dict[str, pd.DataFrame] = field(default_factory=dict)  # key -> n, illicit, log_revenue, first_day
    norms: dict[str, pd.DataFrame] = field(default_factory=dict)  # key -> median and spread per quantity
    global_norms: dict[str, float] = field(default_factory=dict)
    _lookups: dict[tuple[str, str, tuple[str, ...]], dict[str, FloatArray]] = field(default_factory=dict, repr=False)

    def lookup(self, kind: str, name: str, keys: list[str], stats: tuple[str, ...]) -> FloatArray:
        """Rows of an entity or norm table for ``keys`` (all-NaN rows for keys never seen)."""
        cached = self._lookups.get((kind, name, stats))
        if cached is None:
            table = (self.entity if kind == "entity" else self.norms)[name]
            values = table[list(stats)].to_numpy(dtype="float64")
            cached = dict(zip(table.index.astype(str), values, strict=True))
            self._lookups[(kind, name, stats)] = cached
        missing = np.full(len(stats), np.nan)
        if not keys:
            return np.empty((0, len(stats)))
        return np.vstack([cached.get(key, missing) for key in keys])

    def to_json(self) -> dict[str, Any]:
        return {
            "prior_rate": self.prior_rate,
            "prior_log_revenue": self.prior_log_revenue,
            "entity": {k: v.reset_index().to_dict(orient="list") for k, v in self.entity.items()},
            "norms": {k: v.reset_index().to_dict(orient="list") for k, v in self.norms.items()},
            "global_norms": self.global_norms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profiles:
        def table(values: dict[str, list[Any]]) -> pd.DataFrame:
            frame = pd.DataFrame(values)
            frame["key"] = frame["key"].astype(str)
            return frame.set_index("key")

        return cls(
            prior_rate=float(data["prior_rate"]),
            prior_log_revenue=float(data["prior_log_revenue"]),
            entity={k: table(v) for k, v in data["entity"].items()},
            norms={k: table(v) for k, v in data["norms"].items()},
            global_norms={k: float(v) for k, v in data["global_norms"].items()},
        )


def _day_number(frame: pd.DataFrame) -> FloatArray:
    days = (frame[col.DATE] - pd.Timestamp("1970-01-01")).dt.days
    return np.asarray(days.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")


def fit_profiles(labelled: pd.DataFrame) -> Profiles:
    """Entity outcome tables and code norms from a labelled history."""
    rows = row_quantities(labelled)
    day = _day_number(labelled)
    log_revenue = np.log1p(labelled[col.REVENUE].clip(lower=0))
    profiles = Profiles(prior_rate=float(labelled[col.ILLICIT].mean()), prior_log_revenue=float(log_revenue.mean()))
    for name, parts in ENTITY_KEYS.items():
        key = _key_series(labelled, parts)
        outcomes = pd.DataFrame({"key": key, "illicit": labelled[col.ILLICIT], "log_revenue": log_revenue, "day": day})
        table = outcomes.groupby("key").agg(
            n=("illicit", "size"),
            illicit=("illicit", "sum"),
            log_revenue=("log_revenue", "sum"),
            first_day=("day", "min"),
        )
        profiles.entity[name] = table.astype("float64")
    quantities = rows[list(NORM_QUANTITIES)]
    for name, parts in NORM_KEYS.items():
        key = _key_series(labelled, parts)
        grouped = quantities.groupby(key)
        medians = grouped.median()
        spreads = (quantities - medians.reindex(key).to_numpy()).abs().groupby(key).median()
        table = medians.add_suffix("_median").join(spreads.add_suffix("_spread"))
        table["n"] = grouped.size().astype("float64")
        table.index.name = "key"
        profiles.norms[name] = table[table["n"] >= MIN_NORM_SUPPORT]
    for quantity in NORM_QUANTITIES:
        values = quantities[quantity].dropna()
        median = float(values.median()) if len(values) else 0.0
        profiles.global_norms[f"{quantity}_median"] = median
        profiles.global_norms[f"{quantity}_spread"] = float((values - median).abs().median()) if len(values) else 1.0
    return profiles


def _entity_features(name: str, stats: FloatArray, day: FloatArray, profiles: Profiles) -> dict[str, FloatArray]:
    """Smoothed risk, smoothed revenue, log count (and age) from (n, illicit, log_revenue, first_day)."""
    n = np.nan_to_num(stats[:, 0])
    illicit = np.nan_to_num(stats[:, 1])
    log_revenue = np.nan_to_num(stats[:, 2])
    out = {
        f"{name}_risk": (illicit + SMOOTHING * profiles.prior_rate) / (n + SMOOTHING),
        f"{name}_revenue": (log_revenue + SMOOTHING * profiles.prior_log_revenue) / (n + SMOOTHING),
        f"{name}_count": np.log1p(n),
    }
    if name in ("importer", "declarant"):
        out[f"{name}_age_days"] = np.where(n > 0, day - stats[:, 3], np.nan)
    return out


def past_only_entity_features(labelled: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Entity features of training rows, each from declarations dated strictly before it."""
    day = _day_number(labelled)
    log_revenue = np.log1p(labelled[col.REVENUE].clip(lower=0)).to_numpy()
    features: dict[str, FloatArray] = {}
    for name, parts in ENTITY_KEYS.items():
        key = _key_values(labelled, parts)
        rows = pd.DataFrame(
            {"key": key, "day": day, "illicit": labelled[col.ILLICIT].to_numpy(), "log_revenue": log_revenue}
        )
        daily = rows.groupby(["key", "day"], sort=True).agg(
            n=("illicit", "size"), illicit=("illicit", "sum"), log_revenue=("log_revenue", "sum")
        )
        before = daily.groupby(level="key").cumsum() - daily  # strictly earlier days only
        before["first_day"] = (
            daily.reset_index().groupby("key")["day"].min().reindex(daily.index.get_level_values("key")).to_numpy()
        )
        joined = before.reindex(pd.MultiIndex.from_arrays([key, day]))
        features.update(_entity_features(name, joined[list(ENTITY_STATS)].to_numpy(), day, profiles))
    return pd.DataFrame(features, index=labelled.index)


def _history_entity_features(frame: pd.DataFrame, profiles: Profiles) -> dict[str, FloatArray]:
    day = _day_number(frame)
    features: dict[str, FloatArray] = {}
    for name, parts in ENTITY_KEYS.items():
        stats = profiles.lookup("entity", name, _key_values(frame, parts), ENTITY_STATS)
        features.update(_entity_features(name, stats, day, profiles))
    return features


def _norms(frame: pd.DataFrame, profiles: Profiles, names: tuple[str, ...]) -> dict[str, FloatArray]:
    """Each norm statistic per row from the first table (in ``names`` order) that knows the row's key."""
    found = np.full((len(frame), len(NORM_STATS)), np.nan)
    for name in names:
        found = np.where(
            np.isnan(found), profiles.lookup("norms", name, _key_values(frame, NORM_KEYS[name]), NORM_STATS), found
        )
    out = {}
    for position, stat in enumerate(NORM_STATS):
        out[stat] = np.where(np.isnan(found[:, position]), profiles.global_norms[stat], found[:, position])
    return out


def impute_missing(frame: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Fill figures a record lacks (a consignment has no taxes) from the tariff-code norms.

    An imputed figure sits on the norm, so it neither raises nor lowers the risk by itself.
    """
    quantity, weight = _numbers(frame, col.QUANTITY), _numbers(frame, col.WEIGHT)
    fob, cif, taxes = _numbers(frame, col.FOB), _numbers(frame, col.CIF), _numbers(frame, col.TAXES)
    if not (
        np.isnan(quantity).any()
        or np.isnan(weight).any()
        or np.isnan(fob).any()
        or np.isnan(cif).any()
        or np.isnan(taxes).any()
    ):
        return frame
    cif = np.where(np.isnan(cif), fob, cif)
    fob = np.where(np.isnan(fob), cif, fob)
    # Taxes depend on the origin (preferences); units per kg on the goods alone. Imputed quantities stay
    # fractional so that they sit exactly on the tariff-code norm.
    taxes = np.where(
        np.isnan(taxes), cif * _norms(frame, profiles, ("country_tariff", "tariff", "hs4"))["tax_rate_median"], taxes
    )
    per_unit = np.exp(_norms(frame, profiles, ("tariff", "hs4"))["log_kg_per_unit_median"])
    quantity = np.where(np.isnan(quantity), weight / per_unit, quantity)
    weight = np.where(np.isnan(weight), quantity * per_unit, weight)
    out = frame.copy()
    for column, values in (
        (col.QUANTITY, quantity),
        (col.WEIGHT, weight),
        (col.FOB, fob),
        (col.CIF, cif),
        (col.TAXES, taxes),
    ):
        out[column] = values
    return out


def _norm_features(frame: pd.DataFrame, profiles: Profiles) -> dict[str, FloatArray]:
    rows = _row_quantities(frame)
    code = _norms(frame, profiles, ("tariff", "hs4"))
    pair = _norms(frame, profiles, ("country_tariff", "tariff", "hs4"))
    out = dict(rows)
    for quantity in NORM_QUANTITIES:
        median, spread = code[f"{quantity}_median"], code[f"{quantity}_spread"]
        out[f"{quantity}_dev"] = rows[quantity] - median
        out[f"{quantity}_z"] = (rows[quantity] - median) / (spread + 1e-3)
        out[f"{quantity}_origin_dev"] = rows[quantity] - pair[f"{quantity}_median"]
    return out


def feature_frame(frame: pd.DataFrame, profiles: Profiles, *, past_only: bool) -> pd.DataFrame:
    """The model's input: norms and ratios, plus entity profiles (past-only for training rows)."""
    features = _norm_features(impute_missing(frame, profiles), profiles)
    if past_only:
        entity = past_only_entity_features(frame, profiles)
        features.update({name: entity[name].to_numpy(dtype="float64") for name in entity.columns})
    else:
        features.update(_history_entity_features(frame, profiles))
    return pd.DataFrame(features, index=frame.index, dtype="float64")
