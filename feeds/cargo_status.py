"""IATA Cargo-IMP FSU (freight status update) -> one Consignment with its status events, and FlightLeg.

An FSU names one air waybill (``057-12345675CDGJFK/T2K30``) and then one line per status, each starting
with its code: ``RCS/15APR1023/CDG/T2K30`` (received from shipper), ``DEP/AF077/17APR1430/CDG/JFK/T2K30``
(departed), ``ARR/AF077/17APR1830/JFK/T2K30`` (arrived), ``NFD``, ``DLV`` ... The fields after the code
differ by status, so they are recognised by shape: a flight designator, a day (with or without time), an
airport (the second one is the destination), a quantity. Lines that are not status lines (``/`` other
service information, ``OSI``) are skipped.

Each FSU is its own consignment record (its id includes the statuses), linked to the waybill through its
``awb`` identifier, so a later FSU never overwrites the FWB's goods and parties.
"""

from __future__ import annotations

import re

from feeds.air_cargo_records import awb_identifier, cargo_flight_leg
from feeds.base import ParseError, WarningLog
from feeds.cargo_imp_lines import QUANTITY, SHIPMENT, kg
from feeds.flight_designators import split_designator
from feeds.record_assembly import Provenance, merge_by_id
from schemas.records import Consignment, FlightLeg, Record, StatusEvent, make_id

STATUS_CODES = frozenset(
    [
        "BKD",
        "RCS",
        "MAN",
        "DEP",
        "PRE",
        "TRM",
        "TFD",
        "RCT",
        "RCF",
        "NFD",
        "AWD",
        "CCD",
        "DLV",
        "DIS",
        "CRC",
        "DDL",
        "TGC",
        "ARR",
        "AWR",
        "FOH",
        "DOC",
        "TPN",
        "CAN",
    ]
)
FLIGHT = re.compile(r"^[A-Z0-9]{2}[A-Z]?\d{1,4}[A-Z]?$")
DAY_TIME = re.compile(r"^(?P<day>\d{2}[A-Z]{3})(?P<time>\d{4})?$")
AIRPORT = re.compile(r"^[A-Z]{3}$")
TIME = re.compile(r"^[A-Z]?(?P<time>\d{4})$")
SHIPMENT_WITHOUT_ROUTE = re.compile(r"^(?P<awb>\d{3}-\d{8})(?:/.*)?$")


def _event(code: str, fields: list[str]) -> StatusEvent:
    flight = day = time = airport = destination = None
    pieces: int | None = None
    weight: float | None = None
    for value in fields:
        value = value.strip()
        quantity = QUANTITY.match(value)
        day_time = DAY_TIME.match(value)
        if day_time and day is None:
            day, time = day_time.group("day"), day_time.group("time") or time
        elif AIRPORT.match(value) and destination is None:
            if airport is None:
                airport = value
            else:
                destination = value
        elif FLIGHT.match(value) and flight is None and not value.isdigit():
            flight = value
        elif quantity and pieces is None:
            pieces = int(quantity.group("pieces"))
            weight = kg(quantity.group("unit"), quantity.group("weight"))
        elif TIME.match(value) and time is None:
            time = TIME.match(value).group("time")  # type: ignore[union-attr]
    return StatusEvent(
        code=code,
        airport=airport,
        destination=destination,
        flight=flight,
        day=day,
        time=time,
        pieces=pieces,
        weight_kg=weight,
    )


def parse_fsu(lines: list[str], provenance: Provenance, log: WarningLog) -> list[Record]:
    if not lines:
        raise ParseError("cargo_imp.syntax", "FSU without an air waybill line")
    shipment = SHIPMENT.match(lines[0])
    bare = SHIPMENT_WITHOUT_ROUTE.match(lines[0]) if shipment is None else None
    if shipment is None and bare is None:
        raise ParseError("cargo_imp.syntax", f"FSU air waybill line not understood: {lines[0][:60]!r}")
    awb = (shipment or bare).group("awb")  # type: ignore[union-attr]
    origin = shipment.group("origin") if shipment else None
    destination = shipment.group("destination") if shipment else None
    events: list[StatusEvent] = []
    skipped: list[str] = []
    for line in lines[1:]:
        code, _, rest = line.partition("/")
        if code in STATUS_CODES:
            events.append(_event(code, rest.split("/")))
        elif not line.startswith(("/", "OSI", "OCI", "COR")):
            skipped.append(line[:30])
    if skipped:
        log.add("cargo_imp.line_ignored", f"FSU {awb}: lines that are not status lines: {'; '.join(skipped[:3])}")
    if not events:
        raise ParseError("cargo_imp.syntax", f"FSU {awb} holds no status line (such as RCS, DEP, ARR, DLV)")
    legs: list[FlightLeg] = []
    for event in events:
        if event.flight and event.airport and event.code in ("BKD", "MAN", "DEP", "PRE"):
            carrier, number = split_designator(event.flight)
            legs.append(
                cargo_flight_leg(
                    provenance,
                    carrier=carrier,
                    flight_number=number,
                    day=event.day,
                    departure=event.airport,
                    arrival=event.destination,
                )
            )
    last = events[-1]
    consignment = Consignment(
        id=make_id("consignment", "FSU", awb, origin, destination, *(f"{e.code}{e.day}{e.time}" for e in events)),
        transport_document=awb,
        document_type="MAWB",
        transport_mode="air",
        flight_number=next((e.flight for e in reversed(events) if e.flight), None),
        origin=origin,
        destination=destination,
        port_of_arrival=last.airport if last.code in ("ARR", "RCF", "NFD", "AWD", "DLV") else None,
        total_pieces=int(shipment.group("pieces")) if shipment else None,
        total_weight_kg=kg(shipment.group("unit"), shipment.group("weight")) if shipment else None,
        status_events=events,
        identifiers=[awb_identifier(awb, "FSU")],
        **provenance.fields(),
    )
    return [consignment, *merge_by_id(legs)]
