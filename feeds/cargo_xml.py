"""IATA Cargo-XML (data model 3) XFWB, XFZB and XFFM -> Consignment, Party and FlightLeg records.

* XFWB ``Waybill``: the master air waybill with consignor, consignee and forwarder, routing, special
  handling and rated goods lines (``IncludedMasterConsignmentItem``).
* XFZB ``HouseWaybill``: one house waybill (``IncludedHouseConsignment``) under its master AWB.
* XFFM ``FlightManifest``: the flight and the master consignments loaded per unloading point and ULD.

Ids match the Cargo-IMP parser's for the same documents (MAWB by AWB number and route, HAWB by house
and master number), so a waybill received in either syntax is the same record.
"""

from __future__ import annotations

from feeds.air_cargo_records import (
    awb_identifier,
    cargo_flight_leg,
    house_waybill_id,
    loaded_consignment,
    master_waybill_id,
)
from feeds.base import MessageContext, ParseError, WarningLog
from feeds.country_codes import to_alpha2
from feeds.flight_designators import split_designator
from feeds.hs_codes import hs_code
from feeds.record_assembly import Provenance, build_party, merge_by_id, party_references, with_warnings
from feeds.xml_reading import (
    Element,
    attribute,
    child,
    children,
    descendants,
    integer,
    local_name,
    number,
    parse_xml,
    sniff_xml,
    text,
)
from schemas.records import Address, Consignment, FlightLeg, GoodsItem, Party, Record

FORMAT = "cargo-xml"

PARTY_ELEMENTS = {
    "ConsignorParty": ("shipper", "SHP"),
    "ConsigneeParty": ("consignee", "CNE"),
    "FreightForwarderParty": ("agent", "AGT"),
    "NotifyParty": ("notify", "NFY"),
}
POUNDS_TO_KG = 0.45359237


def sniff(payload: bytes) -> bool:
    return sniff_xml(payload, b"iata:waybill", b"iata:housewaybill", b"iata:flightmanifest")


def _weight_kg(element: Element | None) -> float | None:
    value = number(text(element))
    if value is None:
        return None
    return round(value * POUNDS_TO_KG, 3) if attribute(element, "unitCode") == "LBR" else value


def _parties(consignment: Element, provenance: Provenance) -> dict[str, Party]:
    notes = list(children(consignment, "IncludedCustomsNote"))
    parties: dict[str, Party] = {}
    for element_name, (role, subject) in PARTY_ELEMENTS.items():
        element = child(consignment, element_name)
        name = text(element, "Name")
        if element is None or not name:
            continue
        address_element = child(element, "PostalStructuredAddress")
        if address_element is None:
            address_element = child(element, "FreightForwarderAddress")
        address = None
        if address_element is not None:
            address = Address(
                lines=[line for line in (text(address_element, "StreetName"),) if line],
                city=text(address_element, "CityName"),
                postcode=text(address_element, "PostcodeCode"),
                region=text(address_element, "CountrySubDivisionName") or text(address_element, "CountrySubDivisionID"),
                country=to_alpha2(text(address_element, "CountryID")),
            )
        contact = child(element, "DefinedTradeContact")
        phones = [p for p in (text(contact, "DirectTelephoneCommunication", "CompleteNumber"),) if p]
        emails = [e.lower() for e in (text(contact, "URIEmailCommunication", "URIID"),) if e]
        registrations = [
            text(note, "Content") or ""
            for note in notes
            if text(note, "SubjectCode") == subject and text(note, "ContentCode") == "T"
        ]
        parties[role] = build_party(
            provenance,
            name=name,
            role=role,
            address=address,
            phones=phones,
            emails=emails,
            registration_ids=registrations,
            schema_name="Organization",
        )
    return parties


def _goods(items: list[Element], log: WarningLog, where: str) -> list[GoodsItem]:
    goods: list[GoodsItem] = []
    for index, item in enumerate(items, start=1):
        sequence = integer(text(item, "SequenceNumeric")) or index
        goods.append(
            GoodsItem(
                sequence=sequence,
                description=text(item, "NatureIdentificationTransportCargo", "Identification")
                or text(item, "Information"),
                hs_code=hs_code(text(item, "TypeCode"), log, f"{where} item {sequence}"),
                package_count=integer(text(item, "PieceQuantity")) or integer(text(item, "PackageQuantity")),
                gross_weight_kg=_weight_kg(child(item, "GrossWeightMeasure")),
                origin_country=to_alpha2(text(item, "OriginCountry", "ID")),
            )
        )
    return goods


def _consignment(
    provenance: Provenance,
    *,
    record_id: str,
    document: str,
    document_type: str,
    element: Element,
    parties: dict[str, Party],
    goods: list[GoodsItem],
    master: str | None,
    awb: str,
) -> Consignment:
    movement = child(element, "SpecifiedLogisticsTransportMovement")
    flight = text(movement, "ID")
    carrier = text(movement, "UsedLogisticsTransportMeans", "Name") or ""
    carrier, flight_number = split_designator(flight, carrier) if flight else (carrier, "")
    customs_value = number(text(element, "DeclaredValueForCustomsAmount"))
    return Consignment(
        id=record_id,
        transport_document=document,
        document_type=document_type,
        master_document=master,
        transport_mode="air",
        carrier=carrier or None,
        flight_number=f"{carrier}{flight_number}" if flight_number else None,
        origin=text(element, "OriginLocation", "ID"),
        destination=text(element, "FinalDestinationLocation", "ID"),
        **party_references(parties.get("shipper"), parties.get("consignee"), parties.get("notify")),
        goods=goods,
        total_pieces=integer(text(element, "TotalPieceQuantity")),
        total_weight_kg=_weight_kg(child(element, "IncludedTareGrossWeightMeasure")),
        declared_value=customs_value,
        currency=text(element, "ApplicableOriginCurrencyExchange", "SourceCurrencyCode")
        or attribute(element, "currencyID", "TotalPrepaidChargeAmount"),
        special_handling=[
            code for code in (text(e, "DescriptionCode") for e in children(element, "HandlingSPHInstructions")) if code
        ],
        identifiers=[awb_identifier(awb, document_type)],
        **provenance.fields(),
    )


def _waybill(root: Element, provenance: Provenance, log: WarningLog) -> list[Record]:
    master = child(root, "MasterConsignment")
    awb = text(root, "BusinessHeaderDocument", "ID") or text(master, "TransportContractDocument", "ID")
    if master is None or not awb:
        raise ParseError("cargo_xml.missing_field", "XFWB without MasterConsignment or air waybill number")
    parties = _parties(master, provenance)
    items = [
        item
        for rating in children(master, "ApplicableRating")
        for item in children(rating, "IncludedMasterConsignmentItem")
    ]
    origin, destination = text(master, "OriginLocation", "ID"), text(master, "FinalDestinationLocation", "ID")
    consignment = _consignment(
        provenance,
        record_id=master_waybill_id(awb, origin, destination),
        document=awb,
        document_type="MAWB",
        element=master,
        parties=parties,
        goods=_goods(items, log, f"XFWB {awb}"),
        master=None,
        awb=awb,
    )
    return [consignment, *parties.values()]


def _house_waybill(root: Element, provenance: Provenance, log: WarningLog) -> list[Record]:
    master = child(root, "MasterConsignment")
    awb = text(master, "TransportContractDocument", "ID")
    houses = list(children(master, "IncludedHouseConsignment"))
    if master is None or not awb or not houses:
        raise ParseError("cargo_xml.missing_field", "XFZB without master air waybill or house consignment")
    records: list[Record] = []
    for house in houses:
        number_ = text(house, "ID") or text(root, "BusinessHeaderDocument", "ID")
        if not number_:
            raise ParseError("cargo_xml.missing_field", "house consignment without ID")
        parties = _parties(house, provenance)
        goods = _goods(list(children(house, "IncludedHouseConsignmentItem")), log, f"XFZB house {number_}")
        summary = text(house, "SummaryDescription")
        if summary and goods and goods[0].description is None:
            goods[0] = goods[0].model_copy(update={"description": summary})
        records.append(
            _consignment(
                provenance,
                record_id=house_waybill_id(number_, awb),
                document=number_,
                document_type="HAWB",
                element=house,
                parties=parties,
                goods=goods,
                master=awb,
                awb=awb,
            )
        )
        records.extend(parties.values())
    return records


def _flight_manifest(root: Element, provenance: Provenance, log: WarningLog) -> list[Record]:
    movement = child(root, "LogisticsTransportMovement")
    flight = text(movement, "ID")
    if movement is None or not flight:
        raise ParseError("cargo_xml.missing_field", "XFFM without LogisticsTransportMovement/ID")
    carrier, flight_number = split_designator(flight, text(movement, "UsedLogisticsTransportMeans", "Name") or "")
    departure = text(movement, "DepartureEvent", "OccurrenceDepartureLocation", "ID")
    day = (
        text(movement, "DepartureEvent", "DepartureOccurrenceDateTime")
        or text(movement, "DepartureEvent", "ScheduledOccurrenceDateTime")
        or ""
    )[:10]
    records: list[Record] = []
    previous = departure
    for arrival in children(root, "ArrivalEvent"):
        point = text(arrival, "OccurrenceArrivalLocation", "ID")
        records.append(
            cargo_flight_leg(
                provenance, carrier=carrier, flight_number=flight_number, day=day, departure=previous, arrival=point
            )
        )
        for loaded in descendants(arrival, "IncludedMasterConsignment"):
            awb = text(loaded, "TransportContractDocument", "ID")
            if not awb:
                continue
            equipment = loaded.getparent()
            uld = text(equipment, "ID") if local_name(equipment) == "AssociatedTransportEquipment" else None
            origin, destination = (
                text(loaded, "OriginLocation", "ID"),
                text(loaded, "FinalDestinationLocation", "ID"),
            )
            weight = _weight_kg(child(loaded, "GrossWeightMeasure"))
            pieces = integer(text(loaded, "TotalPieceQuantity")) or integer(text(loaded, "PieceQuantity"))
            records.append(
                loaded_consignment(
                    provenance,
                    awb=awb,
                    origin=origin,
                    destination=destination,
                    carrier=carrier,
                    flight_number=flight_number,
                    day=day,
                    port_of_arrival=point,
                    containers=[uld] if uld else [],
                    goods=[
                        GoodsItem(
                            sequence=1,
                            description=text(loaded, "SummaryDescription"),
                            package_count=pieces,
                            gross_weight_kg=weight,
                        )
                    ],
                    total_pieces=pieces,
                    total_weight_kg=weight,
                    source_field="XFFM",
                )
            )
        previous = point
    return records


READERS = {"Waybill": _waybill, "HouseWaybill": _house_waybill, "FlightManifest": _flight_manifest}


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    root = parse_xml(payload)
    reader = READERS.get(local_name(root))
    if reader is None:
        raise ParseError("cargo_xml.unknown_message", f"root element {local_name(root)!r} is not XFWB/XFZB/XFFM")
    log = WarningLog()
    records = with_warnings(reader(root, Provenance.of(payload, ctx, FORMAT), log), log.items)
    parties = merge_by_id(r for r in records if isinstance(r, Party))
    legs = merge_by_id(r for r in records if isinstance(r, FlightLeg))
    return [*(r for r in records if not isinstance(r, Party | FlightLeg)), *legs, *parties]
