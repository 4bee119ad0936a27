"""EU ICS entry summary declaration (ENS, IE/CC315A XML) writer for sea consignments.

Children of ``ie:CC315A`` are unqualified and follow the element order of the CC315A schema, as in
the HMRC schema-valid samples.
"""

from __future__ import annotations

from lxml import etree

from scenario.world import Company, SeaConsignment, World

NS_CC315A = "http://ics.dgtaxud.ec/CC315A"


def _el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _trader(parent: etree._Element, group: str, suffix: str, company: Company, number: str = "1") -> None:
    """TRACONCO1 / TRACONCE1 / TRACONCO2 ... blocks share one shape with element names varying by role."""
    block = _el(parent, f"TRACON{suffix}{number}")
    _el(block, f"Nam{suffix}{number}7", company.name[:35])
    _el(block, f"StrAndNum{suffix}{number}22", " ".join(company.address.lines)[:35])
    _el(block, f"PosCod{suffix}{number}23", company.address.postcode or "-")
    _el(block, f"Cit{suffix}{number}24", company.address.city[:35])
    _el(block, f"Cou{suffix}{number}25", company.address.country)
    _el(block, f"NADLNG{group}", "en")
    if company.eori:
        _el(block, f"TIN{suffix}{number}59", company.eori)


def cc315a(world: World, consignment: SeaConsignment, message_id: str) -> bytes:
    shipper = world.companies[consignment.shipper_key]
    consignee = world.companies[consignment.consignee_key]
    lodged = consignment.lodged_at
    root = etree.Element(f"{{{NS_CC315A}}}CC315A", nsmap={"ie": NS_CC315A})
    _el(root, "MesSenMES3", f"{consignment.carrier_name.split()[0]}/{message_id[:10]}")
    _el(root, "MesRecMES6", "JPCUSTOMS")
    _el(root, "DatOfPreMES9", f"{lodged:%y%m%d}")
    _el(root, "TimOfPreMES10", f"{lodged:%H%M}")
    _el(root, "MesIdeMES19", message_id[:14])
    _el(root, "MesTypMES20", "CC315A")
    header = _el(root, "HEAHEA")
    _el(header, "RefNumHEA4", consignment.bill_of_lading[:22])
    _el(header, "TraModAtBorHEA76", "1")
    _el(header, "IdeOfMeaOfTraCroHEA85", f"IMO{consignment.vessel_imo} {consignment.vessel_name}"[:27])
    _el(header, "IdeOfMeaOfTraCroHEA85LNG", "en")
    _el(header, "TotNumOfIteHEA305", str(len(consignment.goods)))
    _el(header, "TotNumOfPacHEA306", str(sum(line.pieces for line in consignment.goods)))
    _el(header, "TotGroMasHEA307", f"{sum(line.weight_kg for line in consignment.goods):.1f}")
    _el(header, "DecPlaHEA394", consignment.port_of_loading)
    _el(header, "DecPlaHEA394LNG", "en")
    _el(header, "TraChaMetOfPayHEA1", "D")
    _el(header, "ComRefNumHEA", consignment.bill_of_lading)
    _el(header, "ConRefNumHEA", consignment.voyage)
    _el(header, "PlaLoaGOOITE334", consignment.port_of_loading)
    _el(header, "PlaLoaGOOITE334LNG", "en")
    _el(header, "PlaUnlGOOITE334", consignment.port_of_discharge)
    _el(header, "CodPlUnHEA357LNG", "en")
    _el(header, "DecDatTimHEA114", f"{lodged:%Y%m%d%H%M}")
    _trader(root, "CO", "CO", shipper)
    _trader(root, "CE", "CE", consignee)
    if consignment.notify_key is not None:
        notify = world.companies[consignment.notify_key]
        block = _el(root, "NOTPAR670")
        _el(block, "NamNOTPAR672", notify.name[:35])
        _el(block, "StrNumNOTPAR673", " ".join(notify.address.lines)[:35])
        _el(block, "PosCodNOTPAR676", notify.address.postcode or "-")
        _el(block, "CitNOTPAR674", notify.address.city[:35])
        _el(block, "CouCodNOTPAR675", notify.address.country)
        _el(block, "NOTPAR670LNG", "en")
    for number, line in enumerate(consignment.goods, 1):
        item = _el(root, "GOOITEGDS")
        _el(item, "IteNumGDS7", str(number))
        _el(item, "GooDesGDS23", line.description)
        _el(item, "GooDesGDS23LNG", "en")
        _el(item, "GroMasGDS46", f"{line.weight_kg:.1f}")
        _el(item, "PlaLoaGOOITE333", consignment.port_of_loading)
        _el(item, "PlaLoaGOOITE333LNG", "en")
        _el(item, "PlaUnlGOOITE333", consignment.port_of_discharge)
        _el(item, "PlaUnlGOOITE333LNG", "en")
        _el(_el(item, "COMCODGODITM"), "ComNomCMD1", line.goods.hs_code)
        for container in consignment.containers:
            _el(_el(item, "CONNR2"), "ConNumNR21", container)
        packages = _el(item, "PACGS2")
        _el(packages, "KinOfPacGS23", line.goods.package)
        _el(packages, "NumOfPacGS24", str(line.pieces))
        _el(packages, "MarNumOfPacGSL21", f"{consignment.bill_of_lading}/{number}")
        _el(packages, "MarNumOfPacGSL21LNG", "en")
    for country in consignment.itinerary:
        _el(_el(root, "ITI"), "CouOfRouCodITI1", country)
    _el(_el(root, "CUSOFFLON"), "RefNumCOL1", f"{consignment.itinerary[0]}{consignment.port_of_loading[2:]}001")
    entry = _el(root, "CUSOFFFENT730")
    _el(entry, "RefNumCUSOFFFENT731", f"JP{consignment.port_of_discharge[2:]}001")
    _el(entry, "ExpDatOfArrFIRENT733", f"{consignment.arrival:%Y%m%d%H%M}")
    carrier = _el(root, "TRACARENT601")
    _el(carrier, "NamTRACARENT604", consignment.carrier_name)
    _el(carrier, "StrNumTRACARENT607", "1 Harbour Road")
    _el(carrier, "PstCodTRACARENT606", "-")
    _el(carrier, "CtyTRACARENT603", "Copenhagen")
    _el(carrier, "CouCodTRACARENT605", "DK")
    _el(carrier, "TRACARENT601LNG", "en")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
