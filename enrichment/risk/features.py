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
import pandas as pd

from enrichment.risk import columns as col

HS4 = "hs4"
MISSING_KEY = "\u2205"
SMOOTHING = 10.0

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

# Label-free per-row quantities whose usual value per tariff code is learnt from the history.
NORM_QUANTITIES: tuple[str, ...] = ("log_value_per_kg", "log_kg_per_unit", "tax_rate", "log_value_per_unit")


def _key_series(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.Series:
    out = frame[parts[0]].astype("string").fillna(MISSING_KEY)
    for part in parts[1:]:
        out = out + "|" + frame[part].astype("string").fillna(MISSING_KEY)
    return out.astype(str)


def _safe_log(values: pd.Series) -> pd.Series:
    return np.log(values.where(values > 0))  # type: ignore[no-any-return]


def row_quantities(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row ratios and magnitudes (no history needed)."""
    out = pd.DataFrame(index=frame.index)
    cif = frame[col.CIF].fillna(frame[col.FOB])
    out["log_quantity"] = _safe_log(frame[col.QUANTITY])
    out["log_weight"] = _safe_log(frame[col.WEIGHT])
    out["log_fob"] = _safe_log(frame[col.FOB])
    out["log_cif"] = _safe_log(cif)
    out["log_taxes"] = np.log1p(frame[col.TAXES].clip(lower=0))
    out["log_value_per_kg"] = out["log_cif"] - out["log_weight"]
    out["log_value_per_unit"] = out["log_cif"] - out["log_quantity"]
    out["log_kg_per_unit"] = out["log_weight"] - out["log_quantity"]
    out["tax_rate"] = frame[col.TAXES] / cif.where(cif > 0)
    out["cif_fob_ratio"] = cif / frame[col.FOB].where(frame[col.FOB] > 0)
    return out


def with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The table plus the derived HS heading column used as a key."""
    out = frame.copy()
    out[HS4] = out[col.TARIFF].astype("string").str.slice(0, 4)
    return out


@dataclass
class Profiles:
    """What the model remembers from the labelled history; saved next to the model."""

    prior_rate: float
    prior_log_revenue: float
    entity: dict[str, pd.DataFrame] = field(default_factory=dict)  # key value -> n, illicit, log_revenue, first_day
    norms: dict[str, pd.DataFrame] = field(default_factory=dict)  # code -> median/spread per quantity
    global_norms: dict[str, float] = field(default_factory=dict)

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
        return cls(
            prior_rate=float(data["prior_rate"]),
            prior_log_revenue=float(data["prior_log_revenue"]),
            entity={k: pd.DataFrame(v).set_index("key") for k, v in data["entity"].items()},
            norms={k: pd.DataFrame(v).set_index("key") for k, v in data["norms"].items()},
            global_norms={k: float(v) for k, v in data["global_norms"].items()},
        )


def _day_number(frame: pd.DataFrame) -> pd.Series:
    return (frame[col.DATE] - pd.Timestamp("1970-01-01")).dt.days.astype("float64")


def fit_profiles(labelled: pd.DataFrame) -> Profiles:
    """Entity outcome tables and code norms from a labelled history."""
    frame = with_keys(labelled)
    rows = row_quantities(frame)
    day = _day_number(frame)
    log_revenue = np.log1p(frame[col.REVENUE].clip(lower=0))
    profiles = Profiles(
        prior_rate=float(frame[col.ILLICIT].mean()), prior_log_revenue=float(log_revenue.mean())
    )
    for name, parts in ENTITY_KEYS.items():
        key = _key_series(frame, parts)
        table = pd.DataFrame(
            {"key": key, "illicit": frame[col.ILLICIT], "log_revenue": log_revenue, "day": day}
        ).groupby("key").agg(
            n=("illicit", "size"),
            illicit=("illicit", "sum"),
            log_revenue=("log_revenue", "sum"),
            first_day=("day", "min"),
        )
        profiles.entity[name] = table.astype("float64")
    for name, parts in {"tariff": (col.TARIFF,), "hs4": (HS4,), "country_tariff": (col.COUNTRY, col.TARIFF)}.items():
        key = _key_series(frame, parts)
        grouped = rows[list(NORM_QUANTITIES)].groupby(key)
        medians = grouped.median().add_suffix("_median")
        spreads = (rows[list(NORM_QUANTITIES)] - medians.reindex(key).to_numpy()).abs().groupby(key).median()
        table = medians.join(spreads.add_suffix("_spread"))
        table["n"] = grouped.size().astype("float64")
        table.index.name = "key"
        profiles.norms[name] = table
    for quantity in NORM_QUANTITIES:
        values = rows[quantity].dropna()
        profiles.global_norms[f"{quantity}_median"] = float(values.median()) if len(values) else 0.0
        spread = float((values - values.median()).abs().median()) if len(values) else 1.0
        profiles.global_norms[f"{quantity}_spread"] = spread
    return profiles


def _smoothed(n: pd.Series, total: pd.Series, prior: float) -> pd.Series:
    return (total + SMOOTHING * prior) / (n + SMOOTHING)


def _entity_features(
    name: str, n: pd.Series, illicit: pd.Series, log_revenue: pd.Series, age: pd.Series, profiles: Profiles
) -> dict[str, pd.Series]:
    out = {
        f"{name}_risk": _smoothed(n, illicit, profiles.prior_rate),
        f"{name}_revenue": _smoothed(n, log_revenue, profiles.prior_log_revenue),
        f"{name}_count": np.log1p(n),
    }
    if name in ("importer", "declarant"):
        out[f"{name}_age_days"] = age
    return out


def past_only_entity_features(labelled: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Entity features of training rows, each from declarations dated strictly before it."""
    frame = with_keys(labelled)
    day = _day_number(frame)
    log_revenue = np.log1p(frame[col.REVENUE].clip(lower=0))
    features: dict[str, pd.Series] = {}
    for name, parts in ENTITY_KEYS.items():
        key = _key_series(frame, parts)
        rows = pd.DataFrame({"key": key, "day": day, "illicit": frame[col.ILLICIT], "log_revenue": log_revenue})
        daily = rows.groupby(["key", "day"], sort=True).agg(
            n=("illicit", "size"), illicit=("illicit", "sum"), log_revenue=("log_revenue", "sum")
        )
        before = daily.groupby(level="key").cumsum() - daily  # strictly earlier days only
        first_day = daily.reset_index().groupby("key")["day"].min()
        index = pd.MultiIndex.from_arrays([key, day])
        joined = before.reindex(index)
        n = pd.Series(joined["n"].to_numpy(), index=frame.index)
        age = day - first_day.reindex(key).to_numpy()
        age = age.where(n > 0)
        features.update(
            _entity_features(
                name,
                n,
                pd.Series(joined["illicit"].to_numpy(), index=frame.index),
                pd.Series(joined["log_revenue"].to_numpy(), index=frame.index),
                age,
                profiles,
            )
        )
    return pd.DataFrame(features, index=frame.index)


def history_entity_features(frame: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Entity features of new rows against the whole labelled history (unseen entities: the prior)."""
    framed = with_keys(frame)
    day = _day_number(framed)
    features: dict[str, pd.Series] = {}
    for name, parts in ENTITY_KEYS.items():
        key = _key_series(framed, parts)
        table = profiles.entity[name].reindex(key)
        n = pd.Series(table["n"].fillna(0.0).to_numpy(), index=frame.index)
        age = pd.Series((day.to_numpy() - table["first_day"].to_numpy()), index=frame.index).where(n > 0)
        features.update(
            _entity_features(
                name,
                n,
                pd.Series(table["illicit"].fillna(0.0).to_numpy(), index=frame.index),
                pd.Series(table["log_revenue"].fillna(0.0).to_numpy(), index=frame.index),
                age,
                profiles,
            )
        )
    return pd.DataFrame(features, index=frame.index)


def impute_missing(frame: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Fill figures a record lacks (a consignment has no taxes) from the tariff-code norms.

    An imputed figure sits on the norm, so it neither raises nor lowers the risk by itself.
    """
    out = frame.copy()
    keyed = with_keys(out)
    cif_missing = out[col.CIF].isna() & out[col.FOB].notna()
    out.loc[cif_missing, col.CIF] = out.loc[cif_missing, col.FOB]
    fob_missing = out[col.FOB].isna() & out[col.CIF].notna()
    out.loc[fob_missing, col.FOB] = out.loc[fob_missing, col.CIF]

    def norm(quantity: str) -> pd.Series:
        values = pd.Series(np.nan, index=out.index)
        for name, parts in (("country_tariff", (col.COUNTRY, col.TARIFF)), ("tariff", (col.TARIFF,)), ("hs4", (HS4,))):
            table = profiles.norms[name]
            found = table[f"{quantity}_median"].reindex(_key_series(keyed, parts)).to_numpy()
            values = values.fillna(pd.Series(found, index=out.index))
        return values.fillna(profiles.global_norms[f"{quantity}_median"])

    taxes_missing = out[col.TAXES].isna() & out[col.CIF].notna()
    if taxes_missing.any():
        out.loc[taxes_missing, col.TAXES] = out.loc[taxes_missing, col.CIF] * norm("tax_rate")[taxes_missing]
    quantity_missing = out[col.QUANTITY].isna() & out[col.WEIGHT].notna()
    if quantity_missing.any():
        per_unit = np.exp(norm("log_kg_per_unit")[quantity_missing])
        out.loc[quantity_missing, col.QUANTITY] = np.maximum(1.0, np.round(out.loc[quantity_missing, col.WEIGHT] / per_unit))
    weight_missing = out[col.WEIGHT].isna() & out[col.QUANTITY].notna()
    if weight_missing.any():
        per_unit = np.exp(norm("log_kg_per_unit")[weight_missing])
        out.loc[weight_missing, col.WEIGHT] = out.loc[weight_missing, col.QUANTITY] * per_unit
    return out


def norm_features(frame: pd.DataFrame, profiles: Profiles) -> pd.DataFrame:
    """Deviation of each row's unit value, unit weight and tax rate from its tariff code's norm."""
    keyed = with_keys(frame)
    rows = row_quantities(frame)
    out = rows.copy()
    for quantity in NORM_QUANTITIES:
        median = pd.Series(np.nan, index=frame.index)
        spread = pd.Series(np.nan, index=frame.index)
        for name, parts in (("tariff", (col.TARIFF,)), ("hs4", (HS4,))):
            table = profiles.norms[name].reindex(_key_series(keyed, parts))
            median = median.fillna(pd.Series(table[f"{quantity}_median"].to_numpy(), index=frame.index))
            spread = spread.fillna(pd.Series(table[f"{quantity}_spread"].to_numpy(), index=frame.index))
        median = median.fillna(profiles.global_norms[f"{quantity}_median"])
        spread = spread.fillna(profiles.global_norms[f"{quantity}_spread"])
        out[f"{quantity}_dev"] = rows[quantity] - median
        out[f"{quantity}_z"] = (rows[quantity] - median) / (spread + 1e-3)
        pair = profiles.norms["country_tariff"].reindex(_key_series(keyed, (col.COUNTRY, col.TARIFF)))
        pair_median = pd.Series(pair[f"{quantity}_median"].to_numpy(), index=frame.index).fillna(median)
        out[f"{quantity}_origin_dev"] = rows[quantity] - pair_median
    return out


def feature_frame(frame: pd.DataFrame, profiles: Profiles, *, past_only: bool) -> pd.DataFrame:
    """The model's input: norms and ratios, plus entity profiles (past-only for training rows)."""
    filled = impute_missing(frame, profiles)
    entity = past_only_entity_features(frame, profiles) if past_only else history_entity_features(frame, profiles)
    features = pd.concat([norm_features(filled, profiles), entity], axis=1)
    return features.astype("float64")
