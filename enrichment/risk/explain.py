"""Plain-language reasons for the features that push a declaration's risk up."""

from __future__ import annotations

import math

import pandas as pd

_ENTITY_LABELS = {
    "importer": "importer",
    "declarant": "declarant",
    "country": "origin country",
    "office": "customs office",
    "tariff": "tariff code",
    "hs4": "HS heading",
    "country_tariff": "origin and tariff code",
    "importer_tariff": "importer with this tariff code",
    "importer_country": "importer with this origin",
    "declarant_office": "declarant at this office",
}

_QUANTITY_LABELS = {
    "log_value_per_kg": "value per kg",
    "log_value_per_unit": "value per unit",
    "log_kg_per_unit": "weight per unit",
}


def _count(features: pd.Series, entity: str) -> int:
    value = features.get(f"{entity}_count", 0.0)
    return round(math.expm1(float(value))) if value == value else 0


def describe_contribution(name: str, features: pd.Series) -> str:
    """A short reason for one feature, using its value for this declaration."""
    value = float(features.get(name, float("nan")))
    for entity, label in _ENTITY_LABELS.items():
        if name in (f"{entity}_risk", f"{entity}_revenue"):
            count = _count(features, entity)
            if count == 0:
                return f"{label} has no inspection history (cold start)"
            if name.endswith("_revenue"):
                return f"{label} history: revenue recovered in past findings over {count} declarations"
            return f"{label} history: {value:.0%} illicit (smoothed) over {count} declarations"
        if name == f"{entity}_count":
            count = _count(features, entity)
            return f"{label} seen {count} times before" if count else f"new {label}"
        if name == f"{entity}_age_days":
            return f"{label} first seen {value:.0f} days ago" if value == value else f"new {label}"
    for quantity, label in _QUANTITY_LABELS.items():
        if name in (f"{quantity}_dev", f"{quantity}_z", f"{quantity}_origin_dev"):
            dev = float(features.get(f"{quantity}_dev", float("nan")))
            if dev != dev:
                return f"{label} unusual for the tariff code"
            scope = "for this origin and tariff code" if name.endswith("origin_dev") else "for the tariff code"
            return f"{label} {math.exp(dev):.2g}x the norm {scope}"
    if name.startswith("tax_rate"):
        dev = float(features.get("tax_rate_dev", float("nan")))
        rate = float(features.get("tax_rate", float("nan")))
        if dev == dev and rate == rate:
            return f"taxes {rate:.1%} of CIF, {dev * 100:+.1f} points from the tariff-code norm"
        return "tax rate unusual for the tariff code"
    if name == "cif_fob_ratio":
        return f"CIF/FOB ratio {value:.2f}"
    if name.startswith("log_"):
        return f"{name.removeprefix('log_').replace('_', ' ')} {math.exp(value):,.0f}" if value == value else name
    return f"{name} = {value:.3g}"
