"""Facts: a passenger or consignment flattened, with its related records and derived indicators.

Rules are written against these dotted names (``booking.hours_before_departure``,
``goods.description_mismatch``...), so analysts never see the record classes. ``facts_of`` is pure:
related records (the booking, flight legs and trade parties) are handed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from graph.model import Node
from schemas.records import Booking, Consignment, FlightLeg, GoodsItem, Party, Passenger, Record

REFERENCE_FILE = Path(__file__).with_name("reference.yaml")
CASH_PAYMENTS = frozenset({"CA", "CASH"})

Facts = dict[str, Any]


@dataclass(frozen=True)
class Reference:
    """The tables in ``reference.yaml``."""

    listed_countries: frozenset[str]
    airport_countries: Mapping[str, str]
    chapter_names: Mapping[str, str]
    chapter_keywords: Mapping[str, frozenset[str]]
    chapter_usd_per_kg: Mapping[str, float]
    parts_headings: frozenset[str]
    lists: Mapping[str, list[Any]]


@lru_cache(maxsize=4)
def load_reference(path: Path = REFERENCE_FILE) -> Reference:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    chapters: dict[str, dict[str, Any]] = {str(k).zfill(2): v for k, v in data.get("hs_chapters", {}).items()}
    return Reference(
        listed_countries=frozenset(data.get("listed_countries", [])),
        airport_countries={str(k): str(v) for k, v in data.get("airport_countries", {}).items()},
        chapter_names={k: str(v.get("name", k)) for k, v in chapters.items()},
        chapter_keywords={k: frozenset(str(w).upper() for w in v.get("keywords", [])) for k, v in chapters.items()},
        chapter_usd_per_kg={k: float(v["usd_per_kg"]) for k, v in chapters.items() if "usd_per_kg" in v},
        parts_headings=frozenset(str(h) for h in data.get("parts_headings", [])),
        lists={k: list(v) for k, v in data.items() if isinstance(v, list)},
    )


@dataclass(frozen=True)
class Related:
    """What the caller knows around the record: its booking, flight legs, trade parties, graph node."""

    booking: Booking | None = None
    flights: Sequence[FlightLeg] = ()
    parties: Mapping[str, Party] = field(default_factory=dict)
    graph_node: Node | None = None
    as_of: datetime | None = None
    entity_id: str | None = None  # the canonical entity the record belongs to (entity resolution)
    members: Sequence[tuple[Record, Related]] = ()  # the entity's other records, with what is around each


def _words(text: str | None) -> set[str]:
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in (text or "").upper())
    return set(cleaned.split())


def _hours_between(earlier: datetime | None, later: datetime | None) -> float | None:
    if earlier is None or later is None:
        return None
    if earlier.tzinfo is None:
        earlier = earlier.replace(tzinfo=UTC)
    if later.tzinfo is None:
        later = later.replace(tzinfo=UTC)
    return round((later - earlier).total_seconds() / 3600.0, 2)


def _common(record: Record, related: Related) -> Facts:
    hits = record.screening
    node = related.graph_node
    return {
        "record_type": record.record_type,
        "source": record.source,
        "risk.score": record.risk.score if record.risk else None,
        "risk.model": record.risk.model if record.risk else None,
        "screening.max_score": max((h.score for h in hits), default=0.0),
        "screening.lists": sorted({h.list_name for h in hits}),
        "screening.count": len(hits),
        "graph.risk": node.graph_risk if node else 0.0,
        "graph.seized": bool(node and node.seized),
        "mentions.orgs": sorted({m.text for m in record.mentions if m.label == "ORG"}),
    }


def _route_countries(airports: Sequence[str], ref: Reference) -> list[str]:
    return [ref.airport_countries[a] for a in airports if a in ref.airport_countries]


def passenger_facts(record: Passenger, related: Related, ref: Reference) -> Facts:
    facts = _common(record, related)
    facts.update(
        {
            "passenger.role": record.role,
            "passenger.nationality": record.nationality,
            "passenger.residence": record.country_of_residence,
            "passenger.gender": record.gender,
            "passenger.document_count": len(record.documents),
            "passenger.documents_valid": all(d.check_digits_valid is not False for d in record.documents),
            "passenger.bag_count": record.bag_count,
            "passenger.embarkation": record.embarkation,
            "passenger.debarkation": record.debarkation,
            "passenger.phone_count": len(record.phones),
        }
    )
    legs = sorted(related.flights, key=lambda leg: leg.departure_time or datetime.max.replace(tzinfo=UTC))
    first = legs[0] if legs else None
    departure = first.departure_time if first else None
    booking = related.booking
    route = (
        list(booking.route)
        if booking and booking.route
        else [airport for leg in legs for airport in (leg.departure_airport, leg.arrival_airport) if airport]
    )
    countries = _route_countries(route, ref)
    facts.update(
        {
            "flight.carrier": first.carrier if first else None,
            "flight.number": f"{first.carrier}{first.flight_number}" if first else None,
            "flight.departure_airport": first.departure_airport if first else record.embarkation,
            "flight.arrival_airport": legs[-1].arrival_airport if legs else record.debarkation,
            "route.airports": route,
            "route.countries": countries,
            "route.listed_countries": sorted(set(countries) & ref.listed_countries),
        }
    )
    if booking is not None:
        facts.update(
            {
                "booking.record_locator": booking.record_locator,
                "booking.one_way": booking.one_way,
                "booking.form_of_payment": booking.form_of_payment,
                "booking.paid_cash": (booking.form_of_payment or "").upper() in CASH_PAYMENTS,
                "booking.payer_name": booking.payer_name,
                "booking.third_party_payer": bool(booking.payer_name),
                "booking.travel_agency": booking.travel_agency,
                "booking.passenger_count": len(booking.passenger_ids),
                "booking.hours_before_departure": _hours_between(booking.created_at, departure),
                "booking.screening_max_score": max((h.score for h in booking.screening), default=0.0),
                "booking.screening_lists": sorted({h.list_name for h in booking.screening}),
            }
        )
    return facts


def _chapter(item: GoodsItem) -> str | None:
    return item.hs_code[:2] if item.hs_code else None


def description_mismatch(item: GoodsItem, ref: Reference) -> str | None:
    """Why a goods line's description does not fit its HS code, or None when it fits (or cannot tell)."""
    if not item.hs_code or not item.description:
        return None
    words = _words(item.description)
    chapter = item.hs_code[:2]
    heading = item.hs_code[:4]
    if {"PART", "PARTS"} & words and chapter in {"84", "85", "87", "88", "90"}:
        is_parts_code = heading in ref.parts_headings or item.hs_code[4:6] in {"90", "99"}
        if not is_parts_code:
            return (
                f"described as parts ({item.description}) but classified under heading {heading}, "
                f"complete {ref.chapter_names.get(chapter, 'goods')}"
            )
    own = ref.chapter_keywords.get(chapter, frozenset())
    if own & words:
        return None
    others = [c for c, keywords in ref.chapter_keywords.items() if c != chapter and keywords & words]
    if others:
        named = ", ".join(f"chapter {c} ({ref.chapter_names[c]})" for c in others[:2])
        return (
            f"description {item.description!r} reads as {named}, declared under chapter {chapter} "
            f"({ref.chapter_names.get(chapter, 'unknown')})"
        )
    return None


def consignment_facts(record: Consignment, related: Related, ref: Reference) -> Facts:
    facts = _common(record, related)
    weight = record.total_weight_kg or sum(g.gross_weight_kg or 0.0 for g in record.goods) or None
    value = record.declared_value or sum(g.value or 0.0 for g in record.goods) or None
    chapters = sorted({c for c in (_chapter(g) for g in record.goods) if c})
    per_kg = round(value / weight, 4) if value is not None and weight else None
    norms = [ref.chapter_usd_per_kg[c] for c in chapters if c in ref.chapter_usd_per_kg]
    norm = sum(norms) / len(norms) if norms else None
    mismatches = [m for m in (description_mismatch(g, ref) for g in record.goods) if m]
    origin_country = ref.airport_countries.get(record.origin or "", None)
    if origin_country is None and record.origin and len(record.origin) == 5:
        origin_country = record.origin[:2]  # UN/LOCODE
    facts.update(
        {
            "consignment.transport_mode": record.transport_mode,
            "consignment.origin": record.origin,
            "consignment.origin_country": origin_country,
            "consignment.destination": record.destination,
            "consignment.port": record.port_of_arrival or record.destination,
            "consignment.pieces": record.total_pieces,
            "consignment.weight_kg": weight,
            "consignment.declared_value": value,
            "consignment.currency": record.currency,
            "consignment.value_per_kg": per_kg,
            "consignment.value_per_kg_norm": norm,
            "consignment.value_per_kg_ratio": round(per_kg / norm, 4) if per_kg is not None and norm else None,
            "consignment.special_handling": list(record.special_handling),
            "consignment.consignee_name": record.consignee_name,
            "consignment.shipper_name": record.shipper_name,
            "goods.hs_codes": [g.hs_code for g in record.goods if g.hs_code],
            "goods.hs_chapters": chapters,
            "goods.descriptions": [g.description for g in record.goods if g.description],
            "goods.description_mismatch": bool(mismatches),
            "goods.description_mismatch_reasons": mismatches,
            "route.listed_countries": sorted({origin_country} & ref.listed_countries) if origin_country else [],
        }
    )
    as_of = related.as_of or record.received_at
    for role, party_id in (("consignee", record.consignee_id), ("shipper", record.shipper_id)):
        party = related.parties.get(party_id or "")
        if party is None:
            continue
        first_seen = party.received_at
        days = _hours_between(first_seen, as_of)
        facts.update(
            {
                f"{role}.name": party.name,
                f"{role}.country": party.address.country if party.address else None,
                f"{role}.days_known": round(days / 24.0, 2) if days is not None else None,
                f"{role}.screening_max_score": max((h.score for h in party.screening), default=0.0),
            }
        )
    return facts


def _record_facts(record: Record, related: Related, ref: Reference) -> Facts:
    if isinstance(record, Passenger):
        return passenger_facts(record, related, ref)
    if isinstance(record, Consignment):
        return consignment_facts(record, related, ref)
    return _common(record, related)


# Facts where the entity takes the worst of its records, or every value any of them gives.
_HIGHEST = frozenset({"screening.max_score", "graph.risk", "risk.score", "booking.screening_max_score"})
_UNION = frozenset({"screening.lists", "mentions.orgs", "route.listed_countries", "booking.screening_lists"})


def entity_facts(facts: Facts, member_facts: Sequence[Facts]) -> Facts:
    """One record's facts completed by the other records of its entity.

    What the record does not say (None, an empty list, a fact it lacks: the API record has no booking,
    the PNR no document) comes from the first member that says it; scores take the highest and lists
    of lists, orgs and countries the union; ``graph.seized`` holds when any member was seized. The
    record's own values stand otherwise, so a rule reads the entity as its best-informed record would.
    """
    merged = dict(facts)
    for other in member_facts:
        for key, value in other.items():
            mine = merged.get(key)
            if key in _HIGHEST and isinstance(value, (int, float)) and isinstance(mine, (int, float)):
                merged[key] = max(mine, value)
            elif key in _UNION and isinstance(value, list) and isinstance(mine, list):
                merged[key] = sorted(set(mine) | set(value))
            elif key == "graph.seized":
                merged[key] = bool(mine) or bool(value)
            elif mine is None or mine == []:
                merged[key] = value
    merged["entity.records"] = 1 + len(member_facts)
    return merged


def facts_of(record: Record, related: Related | None = None, ref: Reference | None = None) -> Facts:
    """The facts rules see for ``record`` and the rest of its entity; other record types get only the
    common facts."""
    related = related or Related()
    ref = ref or load_reference()
    facts = _record_facts(record, related, ref)
    members = [_record_facts(member, around, ref) for member, around in related.members]
    return entity_facts(facts, members)


def day_of(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value
