"""What the two air cargo syntaxes, Cargo-IMP text and Cargo-XML, share when they make records.

The ids follow one rule in both (master waybill by AWB number and route, house waybill by house and
master number, a leg by flight, day and departure), so a waybill received in either syntax is the same
record; the air waybill number is always an identifier with its mod-7 check verdict; and a consignment
loaded on a flight (an FFM line or an XFFM ``IncludedMasterConsignment``) has one shape whichever syntax
carried the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.check_digits import awb_check_digit_valid
from feeds.record_assembly import Provenance
from schemas.records import Consignment, FlightLeg, GoodsItem, Identifier, make_id


def master_waybill_id(awb: str, origin: str | None, destination: str | None) -> str:
    return make_id("consignment", "MAWB", awb, origin, destination)


def house_waybill_id(house: str, awb: str) -> str:
    return make_id("consignment", "HAWB", house, awb)


def awb_identifier(awb: str, source_field: str) -> Identifier:
    return Identifier(scheme="awb", value=awb, valid=awb_check_digit_valid(awb), source_field=source_field)


def cargo_flight_leg(
    provenance: Provenance,
    *,
    carrier: str,
    flight_number: str,
    day: str | None,
    departure: str | None,
    arrival: str | None,
) -> FlightLeg:
    """One leg of a flight a cargo message names (a manifest's flight to an unloading point, a status's flight)."""
    return FlightLeg(
        id=make_id("flight_leg", carrier, flight_number, day, departure),
        carrier=carrier,
        flight_number=flight_number,
        departure_airport=departure,
        arrival_airport=arrival,
        **provenance.fields(),
    )


def loaded_consignment(
    provenance: Provenance,
    *,
    awb: str,
    origin: str | None,
    destination: str | None,
    carrier: str,
    flight_number: str,
    day: str,
    port_of_arrival: str | None,
    containers: list[str],
    goods: list[GoodsItem],
    total_pieces: int | None,
    total_weight_kg: float | None,
    source_field: str,
    special_handling: Sequence[str] = (),
) -> Consignment:
    """A master waybill's shipment as a flight manifest lists it: one record per AWB, route and flight day."""
    return Consignment(
        id=make_id("consignment", "FFM", awb, origin, destination, carrier, flight_number, day),
        transport_document=awb,
        document_type="MAWB",
        transport_mode="air",
        carrier=carrier,
        flight_number=f"{carrier}{flight_number}",
        containers=containers,
        origin=origin,
        destination=destination,
        port_of_arrival=port_of_arrival,
        goods=goods,
        total_pieces=total_pieces,
        total_weight_kg=total_weight_kg,
        special_handling=list(special_handling),
        identifiers=[awb_identifier(awb, source_field)],
        **provenance.fields(),
    )
