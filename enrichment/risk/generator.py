"""A seeded generator of realistic customs import declarations with planted fraud.

The world: a catalogue of real HS6 tariff codes with typical unit values, unit weights and duty rates;
origin countries with price levels, freight costs and preferential (FTA) duty treatment; customs
offices; declarants (brokers); importers that arrive over the whole period (so a time-based split
holds importers the model has never seen), some of them short-lived shell companies.

Fraud is latent and noisy. Whether a declaration is illicit depends on the importer's propensity,
the declarant's complicity (a few broker-centred rings recruit new importers over time), the duty at
stake and how new the importer is. An illicit declaration then uses one of several mechanisms, with a
per-importer habit: undervaluation, misclassification to a lower-duty code, origin laundering through
a preferential-origin country, understated quantity (with or without weight), or concealment that
leaves no trace in the declared figures. Inspections miss some fraud (recorded as clean), and a few
technical infringements are random. ``revenue`` is
the tax that an inspection recovers: the true duty minus the declared duty, plus penalties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrichment.risk import columns as col


@dataclass(frozen=True)
class TariffLine:
    code: str
    group: str
    usd_per_kg: float
    kg_per_unit: float
    duty: float  # ad valorem duty plus excise equivalents, as a fraction of CIF


# Plausible typical values; duty rates are MFN-like (excise folded in for tobacco and alcohol). The
# codes of the demo feed generator (scenario/reference.py) are all here, so a model trained on
# this data knows their norms.
TARIFF_LINES: tuple[TariffLine, ...] = (
    TariffLine("610910", "textile", 15.0, 0.2, 0.16),
    TariffLine("611030", "textile", 20.0, 0.4, 0.32),
    TariffLine("620342", "textile", 18.0, 0.6, 0.16),
    TariffLine("630790", "textile", 10.0, 0.5, 0.07),
    TariffLine("520812", "textile", 6.0, 100.0, 0.08),
    TariffLine("640399", "footwear", 30.0, 1.0, 0.10),
    TariffLine("640299", "footwear", 12.0, 0.8, 0.20),
    TariffLine("640419", "footwear", 14.0, 0.7, 0.17),
    TariffLine("420221", "leather", 80.0, 0.8, 0.10),
    TariffLine("420222", "leather", 25.0, 0.5, 0.17),
    TariffLine("847130", "electronics", 250.0, 2.5, 0.0),
    TariffLine("851712", "electronics", 600.0, 0.2, 0.0),
    TariffLine("851762", "electronics", 150.0, 1.0, 0.0),
    TariffLine("852872", "electronics", 20.0, 15.0, 0.14),
    TariffLine("850760", "electronics", 25.0, 0.5, 0.027),
    TariffLine("854231", "electronics", 2000.0, 0.01, 0.0),
    TariffLine("854143", "electronics", 1.5, 20.0, 0.25),
    TariffLine("845891", "machinery", 40.0, 1500.0, 0.027),
    TariffLine("847989", "machinery", 30.0, 200.0, 0.017),
    TariffLine("848180", "machinery", 25.0, 2.0, 0.022),
    TariffLine("846693", "machinery", 35.0, 20.0, 0.02),
    TariffLine("848210", "machinery", 18.0, 0.5, 0.08),
    TariffLine("842959", "machinery", 12.0, 8000.0, 0.0),
    TariffLine("870323", "vehicles", 12.0, 1400.0, 0.10),
    TariffLine("870380", "vehicles", 22.0, 1800.0, 0.10),
    TariffLine("870829", "vehicles", 8.0, 5.0, 0.03),
    TariffLine("870899", "vehicles", 12.0, 5.0, 0.045),
    TariffLine("880730", "vehicles", 300.0, 10.0, 0.0),
    TariffLine("871200", "vehicles", 20.0, 14.0, 0.14),
    TariffLine("401110", "vehicles", 4.0, 10.0, 0.045),
    TariffLine("220421", "beverages", 5.0, 1.2, 0.32),
    TariffLine("220830", "beverages", 12.0, 1.2, 0.45),
    TariffLine("220300", "beverages", 1.5, 0.5, 0.20),
    TariffLine("240220", "tobacco", 60.0, 0.2, 0.75),
    TariffLine("240311", "tobacco", 30.0, 0.25, 0.30),
    TariffLine("080300", "food", 0.8, 18.0, 0.10),
    TariffLine("090111", "food", 4.0, 60.0, 0.0),
    TariffLine("090121", "food", 12.0, 1.0, 0.075),
    TariffLine("170199", "food", 0.6, 50.0, 0.30),
    TariffLine("100630", "food", 0.7, 25.0, 0.20),
    TariffLine("020130", "food", 9.0, 20.0, 0.25),
    TariffLine("030617", "food", 10.0, 10.0, 0.12),
    TariffLine("040690", "food", 8.0, 5.0, 0.30),
    TariffLine("180690", "food", 8.0, 1.0, 0.15),
    TariffLine("330499", "chemicals", 40.0, 0.2, 0.065),
    TariffLine("300490", "chemicals", 100.0, 0.5, 0.0),
    TariffLine("901890", "chemicals", 150.0, 1.0, 0.03),
    TariffLine("380894", "chemicals", 3.0, 5.0, 0.06),
    TariffLine("271019", "chemicals", 0.9, 1000.0, 0.05),
    TariffLine("391590", "plastics", 0.3, 500.0, 0.0),
    TariffLine("392690", "plastics", 5.0, 1.0, 0.065),
    TariffLine("721049", "metals", 1.0, 1000.0, 0.25),
    TariffLine("720851", "metals", 0.8, 2000.0, 0.20),
    TariffLine("760421", "metals", 4.0, 50.0, 0.06),
    TariffLine("731815", "metals", 3.0, 25.0, 0.037),
    TariffLine("730890", "metals", 2.0, 500.0, 0.05),
    TariffLine("940360", "furniture", 4.0, 30.0, 0.10),
    TariffLine("940171", "furniture", 6.0, 15.0, 0.10),
    TariffLine("950300", "toys", 8.0, 1.0, 0.05),
    TariffLine("711319", "jewellery", 40000.0, 0.02, 0.06),
    TariffLine("910211", "jewellery", 500.0, 0.1, 0.06),
    TariffLine("900410", "jewellery", 60.0, 0.05, 0.08),
)


@dataclass(frozen=True)
class Origin:
    country: str
    price_level: float  # multiplies the catalogue unit value
    freight: float  # CIF/FOB - 1
    preferential: float  # fraction of MFN duty paid (1.0: no preference)
    trade_share: float  # relative weight as a source of imports


ORIGINS: tuple[Origin, ...] = (
    Origin("CN", 0.85, 0.07, 1.0, 9),
    Origin("VN", 0.80, 0.08, 1.0, 4),
    Origin("IN", 0.80, 0.08, 1.0, 3),
    Origin("BD", 0.70, 0.09, 0.0, 1.5),
    Origin("KH", 0.70, 0.09, 0.0, 1),
    Origin("PK", 0.75, 0.09, 1.0, 1),
    Origin("TR", 0.95, 0.05, 1.0, 2),
    Origin("DE", 1.25, 0.04, 1.0, 3),
    Origin("IT", 1.20, 0.04, 1.0, 2),
    Origin("FR", 1.20, 0.04, 1.0, 2),
    Origin("GB", 1.20, 0.04, 1.0, 1.5),
    Origin("NL", 1.15, 0.04, 1.0, 1.5),
    Origin("CH", 1.40, 0.04, 1.0, 1),
    Origin("US", 1.15, 0.06, 1.0, 3),
    Origin("MX", 0.90, 0.07, 0.3, 1.5),
    Origin("BR", 0.90, 0.08, 1.0, 1),
    Origin("CL", 0.90, 0.09, 0.0, 0.5),
    Origin("JP", 1.20, 0.05, 0.5, 2.5),
    Origin("KR", 1.05, 0.05, 0.3, 2),
    Origin("TW", 1.05, 0.06, 1.0, 1.5),
    Origin("TH", 0.85, 0.07, 1.0, 1.5),
    Origin("MY", 0.90, 0.07, 0.2, 1.5),
    Origin("ID", 0.80, 0.08, 1.0, 1.5),
    Origin("SG", 1.05, 0.06, 0.0, 1),
    Origin("HK", 1.00, 0.06, 1.0, 2),
    Origin("AE", 1.00, 0.06, 1.0, 1),
    Origin("MA", 0.85, 0.05, 0.0, 0.5),
    Origin("ZA", 0.90, 0.08, 1.0, 0.5),
    Origin("AU", 1.10, 0.08, 0.3, 0.7),
    Origin("NZ", 1.10, 0.09, 0.3, 0.4),
)

VAT_RATE = 0.10
MECHANISMS: tuple[str, ...] = (
    "undervaluation",
    "misclassification",
    "origin_laundering",
    "quantity",
    "concealment",
)
# Share of frauds an inspection finds, per mechanism (same order).
DETECTION_RATE = np.array([0.85, 0.8, 0.75, 0.85, 0.55])


def _lower_duty_alternatives() -> dict[int, list[int]]:
    """For each tariff line, the lines of the same goods group with a clearly lower duty."""
    out: dict[int, list[int]] = {}
    for i, line in enumerate(TARIFF_LINES):
        out[i] = [
            j
            for j, other in enumerate(TARIFF_LINES)
            if other.group == line.group and other.duty < line.duty * 0.7 and j != i
        ]
    return out


def generate_declarations(rows: int, seed: int = 0, start: date = date(2023, 1, 1), days: int = 730) -> pd.DataFrame:
    """``rows`` labelled declarations over ``days`` days, sorted by date; deterministic for a seed."""
    if rows <= 0:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)
    n_origins = len(ORIGINS)
    groups = sorted({line.group for line in TARIFF_LINES})
    lines_by_group = {g: [i for i, line in enumerate(TARIFF_LINES) if line.group == g] for g in groups}
    alternatives = _lower_duty_alternatives()
    usd_per_kg = np.array([line.usd_per_kg for line in TARIFF_LINES])
    kg_per_unit = np.array([line.kg_per_unit for line in TARIFF_LINES])
    duty = np.array([line.duty for line in TARIFF_LINES])
    price_level = np.array([o.price_level for o in ORIGINS])
    freight = np.array([o.freight for o in ORIGINS])
    preferential = np.array([o.preferential for o in ORIGINS])
    preferential_origins = np.flatnonzero(preferential < 0.5)
    origin_weight = np.array([o.trade_share for o in ORIGINS])
    origin_weight = origin_weight / origin_weight.sum()

    # ----- offices and declarants
    n_offices = 12
    office_laxity = rng.normal(0.0, 0.25, n_offices)
    n_declarants = max(20, rows // 400)
    declarant_office = rng.integers(0, n_offices, n_declarants)
    declarant_complicity = rng.normal(0.0, 0.35, n_declarants)
    n_rings = max(1, n_declarants // 20)
    ring_declarant = rng.choice(n_declarants, n_rings, replace=False)
    declarant_complicity[ring_declarant] += rng.uniform(1.2, 2.0, n_rings)

    # ----- importers: some active from the start, most arriving over the period
    n_importers = max(50, rows // 35)
    established = rng.random(n_importers) < 0.35
    start_day = np.where(established, 0, rng.integers(0, days, n_importers))
    in_ring = rng.random(n_importers) < (0.03 + 0.06 * start_day / days)  # rings recruit over time
    ring_of = np.where(in_ring, rng.integers(0, n_rings, n_importers), -1)
    shell = in_ring | (rng.random(n_importers) < 0.06)
    lifetime = np.where(shell, rng.integers(30, 200, n_importers), days)
    end_day = np.minimum(days, start_day + lifetime)
    end_day = np.maximum(end_day, start_day + 1)
    propensity = rng.normal(-4.2, 0.9, n_importers) + np.where(in_ring, 2.2, 0.0) + np.where(shell, 0.6, 0.0)
    activity = rng.lognormal(0.0, 1.1, n_importers) * np.where(shell, 2.0, 1.0)
    habit = rng.dirichlet(np.ones(len(MECHANISMS)) * 0.6, n_importers)
    price_style = rng.lognormal(0.0, 0.35, n_importers)  # premium or discount buyers, all honest
    importer_group = rng.integers(0, len(groups), n_importers)
    importer_lines: list[npt.NDArray[np.int64]] = []
    importer_origins: list[npt.NDArray[np.int64]] = []
    importer_declarants: list[npt.NDArray[np.int64]] = []
    home_office = rng.integers(0, n_offices, n_importers)
    for i in range(n_importers):
        pool = lines_by_group[groups[importer_group[i]]]
        k = int(min(len(pool), rng.integers(1, 4)))
        importer_lines.append(rng.choice(pool, k, replace=False))
        importer_origins.append(rng.choice(n_origins, int(rng.integers(1, 4)), replace=False, p=origin_weight))
        if ring_of[i] >= 0:
            importer_declarants.append(np.array([ring_declarant[ring_of[i]]]))
        else:
            local = np.flatnonzero(declarant_office == home_office[i])
            choices = local if len(local) else np.arange(n_declarants)
            importer_declarants.append(rng.choice(choices, int(min(len(choices), rng.integers(1, 3))), replace=False))

    # ----- declarations
    weight = activity * (end_day - start_day)
    importer = rng.choice(n_importers, rows, p=weight / weight.sum())
    day = start_day[importer] + (rng.random(rows) * (end_day[importer] - start_day[importer])).astype(np.int64)
    line = np.array([rng.choice(importer_lines[i]) for i in importer])
    origin = np.array([rng.choice(importer_origins[i]) for i in importer])
    declarant = np.array([rng.choice(importer_declarants[i]) for i in importer])
    office = np.where(rng.random(rows) < 0.85, home_office[importer], rng.integers(0, n_offices, rows))

    true_weight = np.exp(rng.normal(np.log(np.maximum(kg_per_unit[line] * 40, 5.0)), 1.0))
    true_qty = np.maximum(1.0, np.round(true_weight / (kg_per_unit[line] * rng.lognormal(0, 0.15, rows))))
    true_fob = (
        true_weight * usd_per_kg[line] * price_level[origin] * price_style[importer] * rng.lognormal(0, 0.4, rows)
    )
    # Honest oddities that look like fraud: samples, seconds, end-of-line discounts.
    odd = rng.random(rows) < 0.03
    true_fob[odd] *= rng.lognormal(-0.7, 0.5, odd.sum())

    age = day - start_day[importer]
    newness = np.where(established[importer], 0.0, 1.0 * np.exp(-age / 60.0))
    logit = (
        propensity[importer]
        + declarant_complicity[declarant]
        + 4.0 * np.minimum(duty[line], 0.5)
        + newness
        + office_laxity[office]
        + rng.normal(0.0, 0.6, rows)
    )
    illicit = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))

    # Mechanism: the importer's habit, restricted to what is possible for the goods and origin.
    possible = np.ones((rows, len(MECHANISMS)), dtype=bool)
    possible[:, 1] = np.array([len(alternatives[int(j)]) > 0 for j in line])
    possible[:, 2] = (preferential[origin] >= 0.5) & (duty[line] > 0.02)
    probs = habit[importer] * possible
    probs = probs / probs.sum(axis=1, keepdims=True)
    mechanism = (probs.cumsum(axis=1) > rng.random(rows)[:, None]).argmax(axis=1)
    mechanism = np.where(illicit, mechanism, -1)

    decl_line = line.copy()
    decl_origin = origin.copy()
    decl_qty = true_qty.copy()
    decl_weight = true_weight * rng.lognormal(0, 0.03, rows)
    decl_fob = true_fob.copy()

    under = mechanism == 0
    decl_fob[under] *= rng.uniform(0.35, 0.85, under.sum())
    mis = np.flatnonzero(mechanism == 1)
    for r in mis:
        decl_line[r] = rng.choice(alternatives[int(line[r])])
    laundering = mechanism == 2
    decl_origin[laundering] = rng.choice(preferential_origins, laundering.sum())
    qty = mechanism == 3
    qty_factor = rng.uniform(0.4, 0.85, rows)
    decl_qty[qty] = np.maximum(1.0, np.round(true_qty[qty] * qty_factor[qty]))
    decl_fob[qty] *= qty_factor[qty]
    with_weight = qty & (rng.random(rows) < 0.5)
    decl_weight[with_weight] *= qty_factor[with_weight]

    def taxes(
        fob: npt.NDArray[np.float64], line_idx: npt.NDArray[np.float64], origin_idx: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        cif = fob * (1.0 + freight[origin_idx])
        customs_duty = cif * duty[line_idx] * preferential[origin_idx]
        return np.asarray(customs_duty + VAT_RATE * (cif + customs_duty))

    true_taxes = taxes(true_fob, line, origin)
    decl_cif = decl_fob * (1.0 + freight[decl_origin]) * rng.lognormal(0, 0.02, rows)
    decl_taxes = taxes(decl_fob, decl_line, decl_origin)
    # Concealment: undeclared goods in the same consignment; nothing shows in the declared figures.
    hidden = mechanism == 4
    revenue = np.where(illicit, true_taxes - decl_taxes, 0.0)
    revenue[hidden] = decl_taxes[hidden] * rng.uniform(0.3, 1.5, hidden.sum())
    revenue = np.where(illicit, np.maximum(revenue, 0.0) * rng.uniform(1.1, 1.6, rows) + 50.0, 0.0)
    # Labels come from inspections, which miss some fraud (hidden goods most often): a missed fraud
    # is recorded as clean, so even a perfect ranking cannot reach a precision of 1.
    found = rng.random(rows) < DETECTION_RATE[np.maximum(mechanism, 0)]
    illicit = illicit & found
    revenue = np.where(illicit, revenue, 0.0)
    # Technical infringements: random, small, and not predictable from anything.
    technical = (~illicit) & (rng.random(rows) < 0.006)
    revenue[technical] = rng.uniform(20.0, 300.0, technical.sum())
    illicit = illicit | technical

    dates = np.array([start + timedelta(days=int(d)) for d in day], dtype="datetime64[D]")
    order = np.lexsort((importer, dates))
    frame = pd.DataFrame(
        {
            col.DATE: pd.to_datetime(dates).strftime("%Y-%m-%d"),
            col.IMPORTER: [f"IMP{i:06d}" for i in importer],
            col.DECLARANT: [f"DEC{d:05d}" for d in declarant],
            col.COUNTRY: [ORIGINS[o].country for o in decl_origin],
            col.OFFICE: [f"OFF{o:02d}" for o in office],
            col.TARIFF: [TARIFF_LINES[t].code for t in decl_line],
            col.QUANTITY: decl_qty,
            col.WEIGHT: np.round(decl_weight, 1),
            col.FOB: np.round(decl_fob, 2),
            col.CIF: np.round(decl_cif, 2),
            col.TAXES: np.round(decl_taxes, 2),
            col.ILLICIT: illicit.astype(int),
            col.REVENUE: np.round(revenue, 2),
        }
    ).iloc[order]
    frame.insert(0, col.ID, [f"SGD{seed % 1000:03d}{i:08d}" for i in range(rows)])
    return frame.reset_index(drop=True)
