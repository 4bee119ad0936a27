"""EU ICS Entry Summary Declarations (IE/CC315A) in XML and in the JSON form -> Consignment and Party.

Both syntaxes are read into the same intermediate shape, so the XML and JSON submissions of one
declaration yield identical records and ids. One declaration is one consignment with its goods items;
header parties (consignor, consignee, notify party, representative, person lodging, carrier) and
goods-item parties each become a Party.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feeds.base import MessageContext, ParseError
from feeds.country_codes import to_alpha2
from feeds.payload_text import check_not_empty, decode_text
from feeds.record_assembly import Provenance, build_party, clean, merge_by_id
from feeds.xml_reading import Element, child, children, local_name, parse_xml, sniff_xml, text
from schemas.records import Address, Consignment, GoodsItem, Identifier, Party, Record, make_id

FORMAT = "ens"

TRANSPORT_MODES = {"1": "sea", "2": "rail", "3": "road", "4": "air", "5": "post"}
XML_HEADER_PARTIES = {
    "TRACONCO1": "shipper",
    "TRACONCE1": "consignee",
    "NOTPAR670": "notify",
    "TRAREP": "representative",
    "PERLODSUMDEC": "declarant",
    "TRACARENT601": "carrier",
}
XML_ITEM_PARTIES = {"TRACONCO2": "shipper", "TRACONCE2": "consignee", "PRTNOT640": "notify"}
JSON_PARTIES = {
    "consignor": "shipper",
    "consignee": "consignee",
    "notifyParty": "notify",
    "representative": "representative",
    "declarant": "declarant",
    "carrier": "carrier",
}
REGISTRATION = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
HS_CODE = re.compile(r"^\d{4}(\d{2}){0,3}$")


@dataclass
class _Party:
    role: str
    name: str | None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    tin: str | None = None


@dataclass
class _Item:
    sequence: int | None
    description: str | None
    gross_kg: float | None
    commodity: str | None
    packages: int | None
    containers: list[str] = field(default_factory=list)
    parties: list[_Party] = field(default_factory=list)


@dataclass
class _Declaration:
    reference: str
    transport_mode: str | None = None
    conveyance: str | None = None
    commercial_reference: str | None = None
    total_packages: int | None = None
    total_gross_kg: float | None = None
    declared_at: datetime | None = None
    first_entry_office: str | None = None
    expected_arrival: datetime | None = None
    parties: list[_Party] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)


def sniff(payload: bytes) -> bool:
    if sniff_xml(payload, b"CC315A", b"ics.dgtaxud.ec"):
        return True
    head = payload[:4096]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and (
        b'"IE315"' in head or (b'"goods"' in head and b'"itinerary"' in head) or b'"submissionId"' in head
    )


def _number(value: Any) -> float | None:
    try:
        result = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return result if result >= 0 else None


def _integer(value: Any) -> int | None:
    result = _number(value)
    return int(result) if result is not None and result == int(result) else None


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{12}", value):
            return datetime.strptime(value, "%Y%m%d%H%M")
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# XML (CC315A)


def _xml_party(element: Element, role: str) -> _Party:
    """Party fields by their name prefixes (NamCO17, StrAndNumCE122, CtyPRTNOT643, TINTRE1 ...)."""
    party = _Party(role=role, name=None)
    for node in element:
        name, value = local_name(node), text(node)
        if not value or name.endswith("LNG") or name.startswith("NADLNG"):
            continue
        if name.startswith("Nam"):
            party.name = value
        elif name.startswith("Str"):
            party.street = value
        elif name.startswith(("PosCod", "PstCod")):
            party.postcode = value
        elif name.startswith(("Cit", "Cty")):
            party.city = value
        elif name.startswith("Cou"):
            party.country = value
        elif name.startswith("TIN"):
            party.tin = value
    return party


def _from_xml(root: Element) -> _Declaration:
    if local_name(root) != "CC315A":
        raise ParseError("ens.unknown_message", f"root element {local_name(root)!r} is not CC315A")
    header = child(root, "HEAHEA")
    reference = text(header, "RefNumHEA4")
    if header is None or not reference:
        raise ParseError("ens.missing_field", "CC315A without HEAHEA/RefNumHEA4 (local reference number)")
    declaration = _Declaration(
        reference=reference,
        transport_mode=text(header, "TraModAtBorHEA76"),
        conveyance=text(header, "ConRefNumHEA"),
        commercial_reference=text(header, "ComRefNumHEA"),
        total_packages=_integer(text(header, "TotNumOfPacHEA306")),
        total_gross_kg=_number(text(header, "TotGroMasHEA307")),
        declared_at=_timestamp(text(header, "DecDatTimHEA114")),
        first_entry_office=text(root, "CUSOFFFENT730", "RefNumCUSOFFFENT731"),
        expected_arrival=_timestamp(text(root, "CUSOFFFENT730", "ExpDatOfArrFIRENT733")),
    )
    for element_name, role in XML_HEADER_PARTIES.items():
        declaration.parties.extend(_xml_party(e, role) for e in children(root, element_name))
    for item in children(root, "GOOITEGDS"):
        packages = [_integer(text(p, "NumOfPacGS24")) for p in children(item, "PACGS2")]
        declaration.items.append(
            _Item(
                sequence=_integer(text(item, "IteNumGDS7")),
                description=text(item, "GooDesGDS23"),
                gross_kg=_number(text(item, "GroMasGDS46")),
                commodity=text(item, "COMCODGODITM", "ComNomCMD1"),
                packages=sum(p for p in packages if p is not None) if any(p is not None for p in packages) else None,
                containers=[c for c in (text(e, "ConNumNR21") for e in children(item, "CONNR2")) if c],
                parties=[_xml_party(e, role) for name, role in XML_ITEM_PARTIES.items() for e in children(item, name)],
            )
        )
    return declaration


# ---------------------------------------------------------------------------------------------
# JSON


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: Any) -> str | None:
    """A JSON scalar as text (numbers are accepted: ``"grossMass": 3``); objects and lists are not."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return clean(str(value))


def _json_party(data: Any, role: str) -> _Party | None:
    if not isinstance(data, dict):
        return None
    address = _object(data.get("address"))
    return _Party(
        role=role,
        name=clean(str(data.get("name") or "")),
        street=_string(address.get("streetAndNumber")),
        city=_string(address.get("city")),
        postcode=_string(address.get("postalCode")),
        country=_string(address.get("countryCode")),
        tin=_string(data.get("eori") or data.get("tin")),
    )


def _from_json(payload: bytes) -> _Declaration:
    try:
        data = json.loads(decode_text(payload))
    except json.JSONDecodeError as exc:
        raise ParseError("json.malformed", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ParseError("json.not_object", "an entry summary declaration is a JSON object")
    header = _object(data.get("declaration"))
    reference = header.get("localReferenceNumber")
    if not isinstance(reference, str) or not reference:
        raise ParseError("ens.missing_field", "declaration.localReferenceNumber is missing")
    itinerary = _object(data.get("itinerary"))
    goods = _object(data.get("goods"))
    first_entry = _object(itinerary.get("officeOfFirstEntry"))
    declaration = _Declaration(
        reference=reference,
        transport_mode=str(itinerary.get("modeOfTransportAtBorder") or "") or None,
        conveyance=_string(itinerary.get("conveyanceReference")),
        commercial_reference=_string(itinerary.get("commercialReferenceNumber")),
        total_packages=_integer(goods.get("numberOfPackages")),
        total_gross_kg=_number(goods.get("grossMass")),
        declared_at=_timestamp(_string(header.get("dateTime"))),
        first_entry_office=_string(first_entry.get("reference")),
        expected_arrival=_timestamp(_string(first_entry.get("expectedDateTimeOfArrival"))),
    )
    parties = _object(data.get("parties"))
    for key, role in JSON_PARTIES.items():
        party = _json_party(parties.get(key), role)
        if party is not None:
            declaration.parties.append(party)
    for item in goods.get("goodsItems") or []:
        if not isinstance(item, dict):
            continue
        packages = [_integer(p.get("numberOfPackages")) for p in item.get("packages") or [] if isinstance(p, dict)]
        declaration.items.append(
            _Item(
                sequence=_integer(item.get("itemNumber")),
                description=_string(item.get("description")),
                gross_kg=_number(item.get("grossMass")),
                commodity=_string(item.get("commodityCode")),
                packages=sum(p for p in packages if p is not None) if any(p is not None for p in packages) else None,
                containers=[
                    str(c["containerNumber"])
                    for c in item.get("containers") or []
                    if isinstance(c, dict) and c.get("containerNumber")
                ],
                parties=[
                    p
                    for p in (
                        _json_party(item.get(k), r)
                        for k, r in JSON_PARTIES.items()
                        if k in ("consignor", "consignee", "notifyParty")
                    )
                    if p is not None
                ],
            )
        )
    return declaration


# ---------------------------------------------------------------------------------------------
# Records


def _party_record(party: _Party, provenance: Provenance) -> Party | None:
    if not party.name:
        return None
    tin = (party.tin or "").strip().upper()
    address = Address(
        lines=[party.street] if party.street else [],
        city=party.city,
        postcode=party.postcode,
        country=to_alpha2(party.country),
    )
    return build_party(
        provenance,
        name=party.name,
        role=party.role,
        address=address,
        registration_ids=[tin] if REGISTRATION.match(tin) else [],
    )


def _records(declaration: _Declaration, provenance: Provenance) -> list[Record]:
    header_parties = {p.role: r for p in declaration.parties if (r := _party_record(p, provenance)) is not None}
    item_parties = [
        r for item in declaration.items for p in item.parties if (r := _party_record(p, provenance)) is not None
    ]
    declarant = header_parties.get("declarant")
    shipper = header_parties.get("shipper") or next((p for p in item_parties if p.roles == ["shipper"]), None)
    consignee = header_parties.get("consignee") or next((p for p in item_parties if p.roles == ["consignee"]), None)
    notify = header_parties.get("notify")
    mode = TRANSPORT_MODES.get(declaration.transport_mode or "", "other")
    goods = [
        GoodsItem(
            sequence=item.sequence,
            description=item.description,
            hs_code=item.commodity if item.commodity and HS_CODE.match(item.commodity) else None,
            package_count=item.packages,
            gross_weight_kg=item.gross_kg,
        )
        for item in declaration.items
    ]
    consignment = Consignment(
        id=make_id("consignment", "ENS", declaration.reference, declarant.name if declarant else ""),
        transport_document=declaration.commercial_reference or declaration.reference,
        document_type="ENS",
        transport_mode=mode,
        flight_number=declaration.conveyance if mode == "air" else None,
        containers=list(dict.fromkeys(c for item in declaration.items for c in item.containers)),
        port_of_arrival=declaration.first_entry_office,
        arrival_date=declaration.expected_arrival.date() if declaration.expected_arrival else None,
        shipper_id=shipper.id if shipper else None,
        consignee_id=consignee.id if consignee else None,
        notify_party_id=notify.id if notify else None,
        shipper_name=shipper.name if shipper else None,
        consignee_name=consignee.name if consignee else None,
        goods=goods,
        total_pieces=declaration.total_packages,
        total_weight_kg=declaration.total_gross_kg,
        identifiers=[Identifier(scheme="lrn", value=declaration.reference, source_field="ENS")]
        + (
            [Identifier(scheme="conveyance_reference", value=declaration.conveyance, source_field="ENS")]
            if declaration.conveyance
            else []
        ),
        **provenance.fields(),
    )
    return [consignment, *merge_by_id([*header_parties.values(), *item_parties])]


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    check_not_empty(payload)
    is_json = payload.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    declaration = _from_json(payload) if is_json else _from_xml(parse_xml(payload))
    return _records(declaration, Provenance.of(payload, ctx, FORMAT))
