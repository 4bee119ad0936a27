"""IATA Cargo-XML XFWB (waybill, data model 3) writer, shaped like the carriers' and forwarders' messages."""

from __future__ import annotations

from lxml import etree

from scenario.world import AirConsignment, Company, World

NS_DATAMODEL = "iata:datamodel:3"
NS_WAYBILL = "iata:waybill:1"
NSMAP = {None: NS_DATAMODEL, "ns2": NS_WAYBILL}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_DATAMODEL}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _party(parent: etree._Element, tag: str, company: Company) -> None:
    party = _el(parent, tag)
    _el(party, "Name", company.name)
    address = _el(party, "PostalStructuredAddress")
    if company.address.postcode:
        _el(address, "PostcodeCode", company.address.postcode)
    _el(address, "StreetName", " ".join(company.address.lines))
    _el(address, "CityName", company.address.city)
    _el(address, "CountryID", company.address.country)
    if company.phone or company.email:
        contact = _el(party, "DefinedTradeContact")
        if company.phone:
            _el(_el(contact, "DirectTelephoneCommunication"), "CompleteNumber", company.phone)
        if company.email:
            _el(_el(contact, "URIEmailCommunication"), "URIID", company.email)


def xfwb(world: World, consignment: AirConsignment, message_id: str) -> bytes:
    flight = world.flights[consignment.flight_key]
    line = consignment.goods
    root = etree.Element(f"{{{NS_WAYBILL}}}Waybill", nsmap=NSMAP)
    header = etree.SubElement(root, f"{{{NS_WAYBILL}}}MessageHeaderDocument")
    _el(header, "ID", f"{consignment.awb}_{message_id}")
    _el(header, "Name", "Master Air Waybill")
    _el(header, "TypeCode", "741")
    _el(header, "IssueDateTime", f"{consignment.issued:%Y-%m-%d}T00:00:00")
    _el(header, "PurposeCode", "Creation")
    _el(header, "VersionID", "3.00")
    _el(_el(header, "SenderParty"), "PrimaryID", f"{flight.carrier}CARGO", schemeID="C")
    _el(_el(header, "RecipientParty"), "PrimaryID", "JPCUSTOMS", schemeID="C")
    business = etree.SubElement(root, f"{{{NS_WAYBILL}}}BusinessHeaderDocument")
    _el(business, "ID", consignment.awb)
    master = etree.SubElement(root, f"{{{NS_WAYBILL}}}MasterConsignment")
    _el(master, "DeclaredValueForCarriageAmount", "NVD", currencyID=line.currency)
    _el(master, "DeclaredValueForCustomsAmount", f"{line.value:.2f}", currencyID=line.currency)
    _el(master, "IncludedTareGrossWeightMeasure", f"{line.weight_kg:.1f}", unitCode="KGM")
    _el(master, "TotalPieceQuantity", str(line.pieces))
    _party(master, "ConsignorParty", world.companies[consignment.shipper_key])
    _party(master, "ConsigneeParty", world.companies[consignment.consignee_key])
    _el(_el(master, "OriginLocation"), "ID", consignment.origin)
    _el(_el(master, "FinalDestinationLocation"), "ID", consignment.destination)
    movement = _el(master, "SpecifiedLogisticsTransportMovement")
    _el(movement, "StageCode", "Main-Carriage")
    _el(movement, "ModeCode", "4")
    _el(movement, "Mode", "Air transport")
    _el(movement, "ID", flight.designator)
    _el(movement, "SequenceNumeric", "1")
    _el(_el(movement, "UsedLogisticsTransportMeans"), "Name", flight.carrier)
    arrival = _el(_el(movement, "ArrivalEvent"), "OccurrenceArrivalLocation")
    _el(arrival, "ID", flight.destination)
    _el(arrival, "TypeCode", "Airport")
    departure = _el(movement, "DepartureEvent")
    _el(departure, "ScheduledOccurrenceDateTime", f"{flight.departure:%Y-%m-%dT%H:%M:%S}")
    where = _el(departure, "OccurrenceDepartureLocation")
    _el(where, "ID", flight.origin)
    _el(where, "TypeCode", "Airport")
    _el(_el(master, "ApplicableOriginCurrencyExchange"), "SourceCurrencyCode", line.currency)
    rating = _el(master, "ApplicableRating")
    _el(rating, "TypeCode", "F")
    _el(rating, "ConsignmentItemQuantity", "1")
    item = _el(rating, "IncludedMasterConsignmentItem")
    _el(item, "SequenceNumeric", "1")
    _el(item, "TypeCode", line.goods.hs_code)
    _el(item, "GrossWeightMeasure", f"{line.weight_kg:.1f}", unitCode="KGM")
    _el(item, "PieceQuantity", str(line.pieces))
    _el(_el(item, "NatureIdentificationTransportCargo"), "Identification", line.description)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
