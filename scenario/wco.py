"""WCO data model import declaration (DMS ``DEC`` XML, as lodged by customs brokers) writer.

Element order follows the WCO DEC-DMS schema, as in the HMRC samples; the declaration is wrapped in
``md:MetaData``.
"""

from __future__ import annotations

from lxml import etree

from scenario.world import Company, CustomsDeclaration, World

NS_MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
NS_DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
NS_DS = "urn:wco:datamodel:WCO:Declaration_DS:DMS:2"
NSMAP = {"md": NS_MD, None: NS_DEC, "p1": NS_DS}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_DEC}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _trader(parent: etree._Element, tag: str, company: Company, with_id: bool = True) -> None:
    trader = _el(parent, tag)
    _el(trader, "Name", company.name)
    if with_id and company.eori:
        _el(trader, "ID", company.eori)
    address = _el(trader, "Address")
    _el(address, "CityName", company.address.city)
    _el(address, "CountryCode", company.address.country)
    _el(address, "Line", " ".join(company.address.lines))
    if company.address.postcode:
        _el(address, "PostcodeID", company.address.postcode)


def declaration(world: World, decl: CustomsDeclaration) -> bytes:
    root = etree.Element(f"{{{NS_MD}}}MetaData", nsmap=NSMAP)
    for tag, text in (("WCODataModelVersionCode", "3.6"), ("WCOTypeName", "DEC"), ("ResponsibleCountryCode", "JP"),
                      ("ResponsibleAgencyName", "JAPAN CUSTOMS"), ("AgencyAssignedCustomizationVersionCode", "v2.1")):
        etree.SubElement(root, f"{{{NS_MD}}}{tag}").text = text
    dec = etree.SubElement(root, f"{{{NS_DEC}}}Declaration")
    currency = decl.goods[0].currency
    total_value = sum(line.value for line in decl.goods)
    _el(dec, "FunctionCode", "9")
    _el(dec, "FunctionalReferenceID", decl.lrn)
    issued = _el(dec, "IssueDateTime")
    stamp = etree.SubElement(issued, f"{{{NS_DS}}}DateTimeString", formatCode="304")
    stamp.text = f"{decl.declared_at:%Y%m%d%H%M%S}Z"
    _el(dec, "TypeCode", "IMA")
    _el(dec, "GoodsItemQuantity", str(len(decl.goods)))
    _el(dec, "DeclarationOfficeID", f"JP{decl.office}")
    _el(dec, "InvoiceAmount", f"{total_value:.2f}", currencyID=currency)
    _el(dec, "TotalGrossMassMeasure", f"{sum(line.weight_kg for line in decl.goods):.1f}", unitCode="KGM")
    _el(dec, "TotalPackageQuantity", str(sum(line.pieces for line in decl.goods)))
    _el(_el(dec, "Agent"), "FunctionCode", "2")
    border = _el(dec, "BorderTransportMeans")
    _el(border, "ID", decl.vessel_or_flight)
    _el(border, "ModeCode", "4" if decl.mode == "air" else "1")
    _trader(dec, "Declarant", world.companies[decl.declarant_key])
    _trader(dec, "Exporter", world.companies[decl.exporter_key], with_id=False)
    shipment = _el(dec, "GoodsShipment")
    _el(shipment, "TransactionNatureCode", "1")
    consignment = _el(shipment, "Consignment")
    _el(consignment, "ContainerCode", "1" if decl.containers else "0")
    arrival = _el(consignment, "ArrivalTransportMeans")
    _el(arrival, "ID", decl.vessel_or_flight)
    _el(arrival, "IdentificationTypeCode", "40" if decl.mode == "air" else "10")
    for number, container in enumerate(decl.containers, 1):
        equipment = _el(consignment, "TransportEquipment")
        _el(equipment, "SequenceNumeric", str(number))
        _el(equipment, "ID", container)
    _el(_el(shipment, "Destination"), "CountryCode", "JP")
    _el(_el(shipment, "ExportCountry"), "ID", decl.export_country)
    for number, line in enumerate(decl.goods, 1):
        item = _el(shipment, "GovernmentAgencyGoodsItem")
        _el(item, "SequenceNumeric", str(number))
        commodity = _el(item, "Commodity")
        _el(commodity, "Description", line.description)
        classification = _el(commodity, "Classification")
        _el(classification, "ID", line.goods.hs_code)
        _el(classification, "IdentificationTypeCode", "TSP")
        measure = _el(commodity, "GoodsMeasure")
        _el(measure, "GrossMassMeasure", f"{line.weight_kg:.1f}", unitCode="KGM")
        _el(_el(commodity, "InvoiceLine"), "ItemChargeAmount", f"{line.value:.2f}", currencyID=line.currency)
        _el(_el(item, "CustomsValuation"), "MethodCode", "1")
        procedure = _el(item, "GovernmentProcedure")
        _el(procedure, "CurrentCode", "40")
        _el(procedure, "PreviousCode", "00")
        origin = _el(item, "Origin")
        _el(origin, "CountryCode", decl.origin_country)
        _el(origin, "TypeCode", "1")
        packaging = _el(item, "Packaging")
        _el(packaging, "SequenceNumeric", "1")
        _el(packaging, "QuantityQuantity", str(line.pieces))
        _el(packaging, "TypeCode", line.goods.package)
    _trader(shipment, "Importer", world.companies[decl.importer_key])
    previous = _el(shipment, "PreviousDocument")
    _el(previous, "CategoryCode", "Z")
    _el(previous, "ID", decl.transport_document)
    _el(previous, "TypeCode", "740" if decl.mode == "air" else "705")  # 740 air waybill, 705 bill of lading
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False,
                                 pretty_print=True)
    return data
