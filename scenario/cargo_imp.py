"""IATA Cargo-IMP writers: FWB/17 (air waybill data) and FFM/8 (flight manifest), as Type B text.

Cargo-IMP has no escape mechanism: ``/`` separates fields and lines are limited, so free text is
reduced to the Type B repertoire (upper case letters, digits, space and ``.-,()``) before it is written.
Phone numbers are written as digits with the country code, as carriers do (no ``+``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scenario.world import AirConsignment, Company, Flight, World

_NOT_TYPE_B = re.compile(r"[^A-Z0-9 .,()-]")


def type_b(text: str, limit: int = 35) -> str:
    return " ".join(_NOT_TYPE_B.sub(" ", text.upper().replace("/", "-")).split())[:limit].rstrip()


def _party(tag: str, company: Company) -> list[str]:
    address = company.address
    contact = f"/TE/{company.phone.lstrip('+')}" if company.phone else ""
    return [
        tag,
        f"NAM/{type_b(company.name)}",
        f"ADR/{type_b(' '.join(address.lines))}",
        f"LOC/{type_b(address.city, 17)}",
        f"/{address.country}/{type_b(address.postcode or '', 9)}{contact}",
    ]


def _weight(kg: float) -> str:
    return f"{kg:.1f}".rstrip("0").rstrip(".")


def fwb(world: World, consignment: AirConsignment) -> str:
    """One FWB/17 message for a master air waybill."""
    flight = world.flights[consignment.flight_key]
    line = consignment.goods
    shipper = world.companies[consignment.shipper_key]
    consignee = world.companies[consignment.consignee_key]
    rate = 4.10 if line.weight_kg >= 500 else 6.35
    charge = round(line.weight_kg * rate, 2)
    routing = "/".join(f"{airport}{flight.carrier}" for airport in consignment.routing)
    volume = max(0.01, round(line.weight_kg / 167, 2))
    lines = [
        "FWB/17",
        f"{consignment.awb}{consignment.origin}{consignment.destination}/T{line.pieces}K{_weight(line.weight_kg)}",
        f"FLT/{flight.designator}/{flight.departure:%d}",
        f"RTG/{routing}",
        *_party("SHP", shipper),
        *_party("CNE", consignee),
        f"CVD/{line.currency}//PP/NVD/{line.value:.2f}/XXX",
        f"RTD/1/P{line.pieces}/K{_weight(line.weight_kg)}/CQ/W{_weight(line.weight_kg)}/R{rate:.2f}/T{charge:.2f}",
        f"/NG/{type_b(line.description, 20)}",
        f"/2/NH/{line.goods.hs_code}",
        f"/3/NV/MC{volume:.2f}",
        f"PPD/WT{charge:.2f}",
        f"/CT{charge:.2f}",
        f"CER/{type_b(shipper.name)}",
        f"ISU/{consignment.issued:%d%b%y}/{type_b(consignment.origin)}/{type_b(shipper.name)}".upper(),
    ]
    return "\n".join(lines) + "\n"


def ffm(world: World, flight: Flight, consignments: Sequence[AirConsignment]) -> str:
    """One FFM/8 flight manifest (a single part) listing the master waybills loaded on a flight."""
    lines = [
        "FFM/8",
        f"1/{flight.designator}/{flight.departure:%d%b}/{flight.origin}".upper(),
        flight.destination,
    ]
    for index, consignment in enumerate(consignments):
        if index % 6 == 0:
            lines.append(f"ULD/PMC{10000 + index:05d}{flight.carrier}")
        line = consignment.goods
        volume = max(0.01, round(line.weight_kg / 167, 2))
        lines.append(f"{consignment.awb}{consignment.origin}{consignment.destination}/T{line.pieces}"
                     f"K{_weight(line.weight_kg)}MC{volume:.2f}/{type_b(line.description, 15)}")
    lines.append("LAST")
    return "\n".join(lines) + "\n"
