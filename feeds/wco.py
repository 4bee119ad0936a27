"""WCO data model customs declarations (UK CDS / DMS ``MetaData``/``Declaration`` XML) -> Declaration + Party.

Import (``IM..``), export (``EX..``) and other declaration types share one reader: the functional
reference (LRN), declaration type, parties (declarant, exporter, importer, consignee, carrier) with
their EORI numbers, goods items (``GovernmentAgencyGoodsItem``: description, commodity code, masses,
packages, item price, origin), containers, countries and the referenced previous documents.
"""

from __future__ import annotations

from feeds.base import MessageContext, ParseError, WarningLog
from feeds.country_codes import to_alpha2
from feeds.hs_codes import hs_code
from feeds.record_assembly import Provenance, build_party, merge_by_id, total_given
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
from schemas.records import Address, Declaration, GoodsItem, Identifier, Party, Record, make_id

FORMAT = "wco"

DECLARATION_TYPES = {"IM": "import", "EX": "export", "CO": "other", "TR": "transit", "TD": "transit"}
PARTY_PATHS = {  # element local name -> role, searched in Declaration and GoodsShipment
    "Declarant": "declarant",
    "Exporter": "exporter",
    "Importer": "importer",
    "Consignee": "consignee",
    "Consignor": "consignor",
    "Buyer": "buyer",
    "Seller": "seller",
    "Carrier": "carrier",
}
# Classifications that state an HS-based commodity code. TRC (the 2-digit TARIC code) and TRA (TARIC
# additional codes) only extend one, so they are not read as a code of their own.
HS_CLASSIFICATIONS = frozenset({"TSP", "HS", "CN"})
PREVIOUS_DOCUMENT_SCHEMES = {
    "DCR": "ducr",
    "MCR": "mucr",
    "355": "ens_mrn",
    "337": "temporary_storage",
    "740": "awb",
    "741": "awb",
    "705": "bill_of_lading",
    "704": "bill_of_lading",
}


def sniff(payload: bytes) -> bool:
    return sniff_xml(payload, b"urn:wco:datamodel:WCO:DEC-DMS", b"urn:wco:datamodel:WCO:DocumentMetaData")


def _declaration_element(root: Element) -> Element:
    if local_name(root) == "Declaration":
        return root
    found = child(root, "Declaration")
    if found is None:
        raise ParseError("wco.unknown_message", f"no Declaration element under {local_name(root)!r}")
    return found


def _party(element: Element, role: str, provenance: Provenance) -> Party | None:
    eori = text(element, "ID")
    name = text(element, "Name")
    if not (eori or name):
        return None
    address_element = child(element, "Address")
    address = None
    if address_element is not None:
        address = Address(
            lines=[line for line in (text(address_element, "Line"),) if line],
            city=text(address_element, "CityName"),
            postcode=text(address_element, "PostcodeID"),
            country=to_alpha2(text(address_element, "CountryCode")),
        )
    return build_party(
        provenance,
        name=name or eori or "",
        role=role,
        address=address,
        registration_ids=[eori] if eori else [],
        schema_name="Organization",
    )


def _goods(shipment: Element | None, log: WarningLog) -> list[GoodsItem]:
    goods: list[GoodsItem] = []
    for index, item in enumerate(children(shipment, "GovernmentAgencyGoodsItem"), start=1):
        sequence = integer(text(item, "SequenceNumeric")) or index
        commodity = child(item, "Commodity")
        stated = [
            hs_code(text(c, "ID"), log, f"goods item {sequence}")
            for c in children(commodity, "Classification")
            if text(c, "IdentificationTypeCode") in HS_CLASSIFICATIONS
        ]
        charge = child(commodity, "InvoiceLine", "ItemChargeAmount")
        statistical = child(item, "StatisticalValueAmount")
        value_element = charge if charge is not None else statistical
        goods.append(
            GoodsItem(
                sequence=sequence,
                description=text(commodity, "Description"),
                hs_code=next((code for code in stated if code), None),
                quantity=number(text(commodity, "GoodsMeasure", "NetNetWeightMeasure")),
                quantity_unit="kg" if text(commodity, "GoodsMeasure", "NetNetWeightMeasure") else None,
                package_count=total_given(integer(text(p, "QuantityQuantity")) for p in children(item, "Packaging")),
                gross_weight_kg=number(text(commodity, "GoodsMeasure", "GrossMassMeasure")),
                value=number(text(value_element)),
                currency=attribute(value_element, "currencyID"),
                origin_country=to_alpha2(text(item, "Origin", "CountryCode")),
            )
        )
    return goods


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    root = parse_xml(payload)
    declaration = _declaration_element(root)
    reference = text(declaration, "FunctionalReferenceID") or text(declaration, "ID")
    if not reference:
        raise ParseError("wco.missing_field", "Declaration without FunctionalReferenceID (LRN)")
    shipment = child(declaration, "GoodsShipment")
    log = WarningLog()
    goods = _goods(shipment, log)
    provenance = Provenance.of(payload, ctx, FORMAT, log.items)
    parties: dict[str, Party] = {}
    for scope in (declaration, shipment, child(declaration, "Consignment"), child(shipment, "Consignment")):
        for element_name, role in PARTY_PATHS.items():
            for element in children(scope, element_name):
                party = _party(element, role, provenance)
                if party is not None and role not in parties:
                    parties[role] = party
    type_code = (text(declaration, "TypeCode") or "")[:2].upper()
    containers = list(dict.fromkeys(c for e in descendants(declaration, "TransportEquipment") if (c := text(e, "ID"))))
    previous = [(text(d, "TypeCode") or "", text(d, "ID") or "") for d in descendants(declaration, "PreviousDocument")]
    identifiers = [Identifier(scheme="lrn", value=reference, source_field="FunctionalReferenceID")]
    identifiers += [
        Identifier(scheme=PREVIOUS_DOCUMENT_SCHEMES[kind], value=value, source_field="PreviousDocument")
        for kind, value in previous
        if kind in PREVIOUS_DOCUMENT_SCHEMES and value
    ]
    transport_document = next(
        (
            value
            for kind, value in previous
            if PREVIOUS_DOCUMENT_SCHEMES.get(kind) in ("awb", "bill_of_lading") and value
        ),
        None,
    )
    gross = [g.gross_weight_kg for g in goods if g.gross_weight_kg is not None]
    values = [g.value for g in goods if g.value is not None]
    taxes = [v for e in descendants(declaration, "DutyTaxFee") if (v := number(text(e, "Payment", "PaymentAmount")))]
    invoice = child(declaration, "InvoiceAmount")
    importer, exporter, declarant = parties.get("importer"), parties.get("exporter"), parties.get("declarant")
    office = (
        text(declaration, "ExitOffice", "ID")
        or text(declaration, "PresentationOffice", "ID")
        or text(declaration, "SupervisingOffice", "ID")
    )
    record = Declaration(
        id=make_id("declaration", "WCO", reference, declarant.id if declarant else ""),
        declaration_type=DECLARATION_TYPES.get(type_code, "other"),
        reference=reference,
        office_id=office,
        importer_id=importer.id if importer else None,
        exporter_id=exporter.id if exporter else None,
        declarant_id=declarant.id if declarant else None,
        importer_name=importer.name if importer else None,
        exporter_name=exporter.name if exporter else None,
        declarant_name=declarant.name if declarant else None,
        country_of_origin=next((g.origin_country for g in goods if g.origin_country), None),
        country_of_export=to_alpha2(text(shipment, "ExportCountry", "ID")),
        transport_document=transport_document,
        containers=containers,
        goods=goods,
        total_gross_weight_kg=number(text(declaration, "TotalGrossMassMeasure"))
        or (round(sum(gross), 3) if gross else None),
        invoice_value=number(text(invoice)) or (round(sum(values), 2) if values else None),
        currency=attribute(invoice, "currencyID") or next((g.currency for g in goods if g.currency), None),
        total_taxes=round(sum(taxes), 2) if taxes else None,
        identifiers=identifiers,
        **provenance.fields(),
    )
    return [record, *merge_by_id(parties.values())]
