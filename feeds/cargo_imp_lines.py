"""Line shapes every Cargo-IMP message shares: the consignment line (AWB, route, pieces, weight) and weights."""

from __future__ import annotations

import re

SHIPMENT = re.compile(
    r"^(?P<awb>\d{3}-\d{8})(?P<origin>[A-Z]{3})(?P<destination>[A-Z]{3})"
    r"/(?P<code>[TPSD])(?P<pieces>\d+)(?:(?P<unit>[KL])(?P<weight>\d+(?:\.\d+)?))?"
    r"(?:DG\d+)?(?:MC(?P<volume>\d+(?:\.\d+)?))?(?:T(?P<total>\d+))?(?:/(?P<description>.*))?$"
)
QUANTITY = re.compile(r"^[TPSD](?P<pieces>\d+)(?:(?P<unit>[KL])(?P<weight>\d+(?:\.\d+)?))?")
POUNDS_TO_KG = 0.45359237


def kg(unit: str | None, weight: str | None) -> float | None:
    """A Cargo-IMP weight in kilograms (``K`` kilograms, ``L`` pounds)."""
    if not weight:
        return None
    value = float(weight)
    return round(value * POUNDS_TO_KG, 3) if unit == "L" else value
