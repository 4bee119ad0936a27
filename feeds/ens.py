"""EU ICS Entry Summary Declarations (IE/CC315A) and their amendments (IE/CC313A), in XML and in the JSON
form -> Consignment and Party.

Both syntaxes are read into the same intermediate shape, so the XML and JSON submissions of one
declaration yield identical records and ids. One declaration is one consignment with its goods items;
header parties (consignor, consignee, notify party, representative, person lodging, carrier) and
goods-item parties each become a Party.

An amendment (IE313) restates the declaration under the MRN customs gave it (and, in the JSON form,
often its LRN). It becomes a consignment of its own (``document_type`` ``ENS amendment``) whose
``amends`` field and ``mrn``/``lrn`` identifiers link it to the declaration it amends, so the original
stays as lodged. An ENS inside a SOAP ``Envelope``/``Body`` is read from inside it, with a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feeds.base import MessageContext, ParseError, WarningLog
from feeds.country_codes import to_alpha2
from feeds.hs_codes import hs_code
from feeds.payload_text import check_not_empty, decode_text
from feeds.record_assembly import Provenance, build_party, clean, merge_by_id, party_references, total_given
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


MESSAGE_TYPES = {"CC315A": "entry summary declaration", "CC313A": "entry summary declaration amendment"}
JSON_MESSAGE_TYPES = {"IE315": "CC315A", "IE313": "CC313A"}
SOAP_ROOTS = frozenset({"Envelope"})
AMENDMENT = "ENS amendment"


@dataclass
class _Declaration:
    reference: str
    message_type: str = "CC315A"
    mrn: str | None = None  # amendments name the declaration they amend by its MRN
    lrn: str | None = None
    amended_at: datetime | None = None
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
    if sniff_xml(payload, b"CC315A", b"CC313A", b"ics.dgtaxud.ec"):
        return True
    head = payload[:4096]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and (
        b'"IE315"' in head
        or b'"IE313"' in head
        or (b'"goods"' in head and b'"itinerary"' in head)
        or b'"submissionId"' in head
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


def _unwrapped(root: Element, log: WarningLog) -> Element:
    """The ICS message itself: the root, or the CC3xxA inside a SOAP Envelope/Body (with a warning)."""
    if local_name(root) not in SOAP_ROOTS:
        return root
    body = child(root, "Body")
    nodes = body.iter() if body is not None else iter(())
    inner = next((node for node in nodes if local_name(node).startswith("CC3")), None)
    if inner is None:
        raise ParseError("ens.unknown_message", "SOAP Envelope without an ICS message (CC315A, CC313A) in its Body")
    log.add("envelope.stripped", f"read the {local_name(inner)} inside a SOAP Envelope/Body")
    return inner


def _unsupported(message_type: str, version: str | None) -> ParseError:
    supported = ", ".join(f"{code} ({name})" for code, name in MESSAGE_TYPES.items())
    named = f"{message_type} (version {version})" if version else message_type
    return ParseError("ens.unsupported_message", f"{named} is not a message Sekisho reads; supported: {supported}")


def _from_xml(root: Element, log: WarningLog) -> _Declaration:
    root = _unwrapped(root, log)
    message_type = local_name(root)
    if message_type not in MESSAGE_TYPES:
        namespace = root.tag[1:].partition("}")[0] if str(root.tag).startswith("{") else None
        raise _unsupported(message_type, text(root, "MesTypMES20") or namespace)
    header = child(root, "HEAHEA")
    lrn, mrn = text(header, "RefNumHEA4"), text(header, "DocNumHEA5")
    reference = (mrn or lrn) if message_type == "CC313A" else lrn
    if header is None or not reference:
        wanted = "DocNumHEA5 (MRN) or RefNumHEA4 (LRN)" if message_type == "CC313A" else "RefNumHEA4 (LRN)"
        raise ParseError("ens.missing_field", f"{message_type} without HEAHEA/{wanted}")
    declaration = _Declaration(
        reference=reference,
        message_type=message_type,
        mrn=mrn,
        lrn=lrn,
        amended_at=_timestamp(text(header, "DatTimAmeHEA113")),
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
        declaration.items.append(
            _Item(
                sequence=_integer(text(item, "IteNumGDS7")),
                description=text(item, "GooDesGDS23"),
                gross_kg=_number(text(item, "GroMasGDS46")),
                commodity=text(item, "COMCODGODITM", "ComNomCMD1"),
                packages=total_given(_integer(text(p, "NumOfPacGS24")) for p in children(item, "PACGS2")),
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


def _json_message_type(data: dict[str, Any]) -> str:
    declared = _string(_object(data.get("metadata")).get("messageType"))
    if declared is None:
        return "CC313A" if "amendment" in data else "CC315A"
    if declared.upper() not in JSON_MESSAGE_TYPES:
        raise _unsupported(declared, _string(_object(data.get("metadata")).get("version")))
    return JSON_MESSAGE_TYPES[declared.upper()]


def _from_json(payload: bytes) -> _Declaration:
    try:
        data = json.loads(decode_text(payload))
    except json.JSONDecodeError as exc:
        raise ParseError("json.malformed", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ParseError("json.not_object", "an entry summary declaration is a JSON object")
    message_type = _json_message_type(data)
    header = _object(data.get("declaration"))
    amendment = _object(data.get("amendment"))
    lrn = _string(header.get("localReferenceNumber"))
    mrn = next(
        (
            value
            for value in (
                _string(where.get("movementReferenceNumber"))
                for where in (data, amendment, header)
            )
            if value
        ),
        None,
    )
    reference = (mrn or lrn) if message_type == "CC313A" else lrn
    if not reference:
        if message_type == "CC313A":
            detail = "IE313 amendment names neither movementReferenceNumber (MRN) nor declaration.localReferenceNumber"
        else:
            detail = "IE315 declaration.localReferenceNumber is missing (an amendment would say IE313 in metadata)"
        raise ParseError("ens.missing_field", detail)
    itinerary = _object(data.get("itinerary"))
    goods = _object(data.get("goods"))
    first_entry = _object(itinerary.get("officeOfFirstEntry"))
    declaration = _Declaration(
        reference=reference,
        message_type=message_type,
        mrn=mrn,
        lrn=lrn,
        amended_at=_timestamp(_string(amendment.get("dateTime"))),
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
        declaration.items.append(
            _Item(
                sequence=_integer(item.get("itemNumber")),
                description=_string(item.get("description")),
                gross_kg=_number(item.get("grossMass")),
                commodity=_string(item.get("commodityCode")),
                packages=total_given(
                    _integer(p.get("numberOfPackages")) for p in item.get("packages") or [] if isinstance(p, dict)
                ),
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


def _goods(declaration: _Declaration, log: WarningLog) -> list[GoodsItem]:
    return [
        GoodsItem(
            sequence=item.sequence,
            description=item.description,
            hs_code=hs_code(item.commodity, log, f"item {item.sequence or index}"),
            package_count=item.packages,
            gross_weight_kg=item.gross_kg,
        )
        for index, item in enumerate(declaration.items, start=1)
    ]


def _records(declaration: _Declaration, goods: list[GoodsItem], provenance: Provenance) -> list[Record]:
    header_parties = {p.role: r for p in declaration.parties if (r := _party_record(p, provenance)) is not None}
    item_parties = [
        r for item in declaration.items for p in item.parties if (r := _party_record(p, provenance)) is not None
    ]
    declarant = header_parties.get("declarant")
    shipper = header_parties.get("shipper") or next((p for p in item_parties if p.roles == ["shipper"]), None)
    consignee = header_parties.get("consignee") or next((p for p in item_parties if p.roles == ["consignee"]), None)
    mode = TRANSPORT_MODES.get(declaration.transport_mode or "", "other")
    amendment = declaration.message_type == "CC313A"
    key: tuple[object, ...] = ("ENS", declaration.reference, declarant.name if declarant else "")
    if amendment:
        key = (AMENDMENT, declaration.reference, declaration.amended_at or declaration.declared_at)
    references = [("lrn", declaration.lrn or (None if amendment else declaration.reference)), ("mrn", declaration.mrn)]
    consignment = Consignment(
        id=make_id("consignment", *key),
        transport_document=declaration.commercial_reference or declaration.reference,
        document_type=AMENDMENT if amendment else "ENS",
        amends=declaration.reference if amendment else None,
        transport_mode=mode,
        flight_number=declaration.conveyance if mode == "air" else None,
        containers=list(dict.fromkeys(c for item in declaration.items for c in item.containers)),
        port_of_arrival=declaration.first_entry_office,
        arrival_date=declaration.expected_arrival.date() if declaration.expected_arrival else None,
        **party_references(shipper, consignee, header_parties.get("notify")),
        goods=goods,
        total_pieces=declaration.total_packages,
        total_weight_kg=declaration.total_gross_kg,
        identifiers=[Identifier(scheme=kind, value=value, source_field="ENS") for kind, value in references if value]
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
    log = WarningLog()
    is_json = payload.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    declaration = _from_json(payload) if is_json else _from_xml(parse_xml(payload), log)
    goods = _goods(declaration, log)
    return _records(declaration, goods, Provenance.of(payload, ctx, FORMAT, log.items))
