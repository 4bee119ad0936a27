"""IATA Cargo-IMP text messages -> Consignment, Party and FlightLeg records.

* FWB (air waybill): the AWB line (number with its mod-7 check digit, origin, destination, pieces,
  weight), FLT, RTG routing, SHP/CNE/NFY/AGT parties (NAM, ADR, LOC and continuation lines), CVD values,
  RTD rate lines with their goods descriptions (NG/NC) and HS codes (NH), SPH special handling.
* FFM (flight manifest): the flight line, points of unloading, ULDs and one line per AWB (split
  shipments of one AWB in several ULDs are one consignment with one goods item per line).
* FHL (house manifest): the master AWB (MBI) and its house waybills (HBS, HTS, TXT, SHP/CNE).
* FSU (status update): read by ``cargo_status``.

A payload may hold several messages one after another (as the sample files do), and may arrive inside a
Type-B envelope (``transport_envelope``). Other Cargo-IMP messages (FBL, FFA, FSR ...) are rejected with
a reason that names the message type and version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from feeds.air_cargo_records import (
    awb_identifier,
    cargo_flight_leg,
    house_waybill_id,
    loaded_consignment,
    master_waybill_id,
)
from feeds.base import MessageContext, ParseError, WarningLog
from feeds.cargo_imp_lines import SHIPMENT, kg
from feeds.cargo_status import parse_fsu
from feeds.country_codes import to_alpha2
from feeds.flight_designators import split_designator
from feeds.hs_codes import hs_code
from feeds.payload_text import check_not_empty, decode_text
from feeds.record_assembly import (
    Provenance,
    build_party,
    clean,
    merge_by_id,
    part_rejection,
    party_references,
    with_warnings,
)
from feeds.transport_envelope import locate, strip_envelope
from schemas.records import Address, Consignment, FlightLeg, GoodsItem, Party, Record

FORMAT = "cargo-imp"

# Cargo-IMP message types, by standard message identifier; those read here have a parser in ``PARSERS``.
MESSAGE_NAMES = {
    "FWB": "air waybill",
    "FFM": "flight manifest",
    "FHL": "house waybill list",
    "FSU": "status update",
    "FBL": "freight booked list",
    "FFA": "freight booking answer",
    "FFR": "freight booking request",
    "FSR": "status request",
    "FSA": "status answer",
    "FWR": "air waybill request",
    "FMA": "acknowledgement",
    "FNA": "error notification",
    "FZB": "house waybill",
    "FDA": "discrepancy advice",
    "FAD": "advice",
    "CSN": "customs status notification",
    "CSD": "consignment security declaration",
    "FRI": "customs information",
    "FRX": "customs information cancellation",
    "FRC": "customs information correction",
    "FXI": "customs information (express)",
    "FHI": "house customs information",
    "FCC": "charges correction",
    "FUM": "ULD control message",
}
MESSAGE_START = re.compile(r"^(" + "|".join(MESSAGE_NAMES) + r")/(\d+)\s*$")
CARGO_START = re.compile(rb"(?:" + "|".join(MESSAGE_NAMES).encode() + rb")/\d+[ \t]*(?:\r|\n|$)")
FFM_FLIGHT = re.compile(
    r"^\d+/(?P<flight>[A-Z0-9]{2}[A-Z]?\d{1,4}[A-Z]?)/(?P<day>\d{2}[A-Z]{3})(?:\d{4})?/(?P<origin>[A-Z]{3})"
)
UNLOADING = re.compile(r"^(?P<airport>[A-Z]{3})(?:/.*)?$")
HOUSE = re.compile(
    r"^HBS/(?P<house>[^/]+)/(?P<origin>[A-Z]{3})(?P<destination>[A-Z]{3})/(?P<pieces>\d+)"
    r"/(?P<unit>[KL])(?P<weight>\d+(?:\.\d+)?)(?:/(?P<slac>\d*))?(?:/(?P<description>.*))?$"
)
TAG_LINE = re.compile(r"^([A-Z]{3})(?:/|$)")
SPECIAL_HANDLING = re.compile(r"^(/[A-Z]{3})+$")
FFM_TAGS = frozenset({"ULD", "OSI", "COR", "OCI", "DIM", "SSR", "SCI", "OTH", "LAST", "CONT"})
PARTY_TAGS = {"SHP": "shipper", "CNE": "consignee", "NFY": "notify", "AGT": "agent"}


def sniff(payload: bytes) -> bool:
    return locate(payload, CARGO_START)


def _split_messages(text: str) -> list[tuple[str, str, list[str]]]:
    """(type, version, lines) of each message in the payload."""
    messages: list[tuple[str, str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        match = MESSAGE_START.match(line.strip())
        if match:
            messages.append((match.group(1), match.group(2), []))
        elif messages and line.strip():
            messages[-1][2].append(line.strip())
    return messages


# ---------------------------------------------------------------------------------------------
# Parties


@dataclass
class _PartyBlock:
    role: str
    tag: str = ""
    name_lines: list[str] = field(default_factory=list)
    address_lines: list[str] = field(default_factory=list)
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postcode: str | None = None
    phones: list[str] = field(default_factory=list)
    account: str | None = None
    ignored: list[str] = field(default_factory=list)


COUNTRY_LINE = re.compile(r"^[A-Z]{2}(?:/|$)")
# The untagged layout (``SHP/ACCOUNT`` then ``/name``, ``/street``, ``/place/state``, ``/CC/postcode/TE/phone``):
# what the next ``/`` line is after each step.
UNTAGGED_NEXT = {"NAME": "U-NAME", "U-NAME": "U-ADR", "U-ADR": "U-LOC"}


def _country_line(block: _PartyBlock, rest: str) -> None:
    parts = rest.split("/")
    block.country = to_alpha2(parts[0])
    block.postcode = clean(parts[1]) if len(parts) > 1 else None
    for kind, number in zip(parts[2::2], parts[3::2], strict=False):
        if kind in ("TE", "FX") and number.strip():
            block.phones.append(re.sub(r"[^\d+]", "", number))


def _place(block: _PartyBlock, rest: str) -> None:
    parts = rest.split("/")
    block.city = clean(parts[0])
    block.region = clean(parts[1]) if len(parts) > 1 else None


def _read_party_line(block: _PartyBlock, line: str, previous: str) -> str:
    """One line of a SHP/CNE/NFY/AGT block, tagged (``NAM/``, ``ADR/``, ``LOC/`` and ``/`` continuations)
    or untagged (``/`` lines in the fixed order name, street, place, country); returns the step it read.
    A line that fits neither is kept in ``ignored`` and reported."""
    if line.startswith("NAM/"):
        block.name_lines.append(line[4:])
        return "NAM"
    if line.startswith("ADR/"):
        block.address_lines.append(line[4:])
        return "ADR"
    if line.startswith("LOC/"):
        _place(block, line[4:])
        return "LOC"
    if not line.startswith("/"):
        block.ignored.append(line)
        return previous
    rest = line[1:]
    if previous == "AGT-NAME":  # agent blocks: account line, then /name, then /place
        block.city = block.city or clean(rest)
        return "AGT-PLACE"
    if previous == "AGT" and not block.name_lines:
        block.name_lines.append(rest)
        return "AGT-NAME"
    if previous in ("NAM", "ADR"):  # a continuation of the tagged name or street
        (block.name_lines if previous == "NAM" else block.address_lines).append(rest)
        return previous
    if COUNTRY_LINE.match(rest) and (previous in ("LOC", "U-LOC", "U-ADR") or block.name_lines):
        _country_line(block, rest)
        return "CTRY"
    step = "NAME" if previous == block.tag and not block.name_lines else previous
    if step == "NAME":
        block.name_lines.append(rest)
    elif step == "U-NAME":
        block.address_lines.append(rest)
    elif step == "U-ADR":
        _place(block, rest)
    else:
        block.ignored.append(line)
        return previous
    return UNTAGGED_NEXT[step]


def _party_record(block: _PartyBlock, provenance: Provenance, log: WarningLog, where: str) -> Party | None:
    name = clean(" ".join(block.name_lines))
    if block.ignored:
        shown = "; ".join(repr(line[:40]) for line in block.ignored[:3])
        log.add("cargo_imp.party_line_ignored", f"{where}: {block.tag} lines not understood: {shown}")
    if not name:
        log.add("cargo_imp.party_unreadable", f"{where}: {block.tag or block.role} block has no name; party not kept")
        return None
    lines = [line for line in (clean(a) for a in block.address_lines) if line]
    address = None
    if lines or block.city or block.country:
        address = Address(
            lines=lines, city=block.city, region=block.region, postcode=block.postcode, country=block.country
        )
    return build_party(
        provenance,
        name=name,
        role=block.role,
        address=address,
        phones=block.phones,
        schema_name="Organization",
    )


# ---------------------------------------------------------------------------------------------
# FWB


@dataclass
class _RateLine:
    pieces: int | None = None
    weight_kg: float | None = None
    descriptions: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)
    origin_country: str | None = None


def _rate_line(fields: list[str], lines: list[_RateLine], log: WarningLog, where: str) -> None:
    """One RTD line (``/1/P1/K2400/CU/...`` or ``/NG/ABRASIVE PASTE``) split at ``/``."""
    if fields and fields[0].isdigit():
        fields = fields[1:]  # the line number
    if not fields:
        return
    if fields[0] in ("NG", "NC") and len(fields) > 1:
        if not lines:
            lines.append(_RateLine())
        text = clean("/".join(fields[1:]))
        if text:
            lines[-1].descriptions.append(text)
        return
    if fields[0] == "NH" and len(fields) > 1:
        code = hs_code(fields[1], log, f"{where} rate line {len(lines)}")
        if code and lines:
            lines[-1].hs_codes.append(code)
        return
    if fields[0] == "NO" and len(fields) > 1 and lines:
        lines[-1].origin_country = to_alpha2(fields[1])
        return
    pieces = next((f[1:] for f in fields if re.fullmatch(r"P\d+", f)), None)
    weight = next((f for f in fields if re.fullmatch(r"[KL]\d+(\.\d+)?", f)), None)
    if pieces is not None:
        lines.append(_RateLine(pieces=int(pieces), weight_kg=kg(weight[0], weight[1:]) if weight else None))


def _first_line(lines: list[str], pattern: re.Pattern[str], kind: str, what: str) -> re.Match[str]:
    """The message's first line read by ``pattern``; a syntax error naming ``what`` it should have been."""
    if not lines:
        article = "an" if what[0] in "aeiou" else "a"
        raise ParseError("cargo_imp.syntax", f"{kind} without {article} {what}")
    match = pattern.match(lines[0])
    if match is None:
        raise ParseError("cargo_imp.syntax", f"{kind} {what} not understood: {lines[0][:60]!r}")
    return match


def _parse_fwb(lines: list[str], provenance: Provenance, log: WarningLog) -> list[Record]:
    shipment = _first_line(lines, SHIPMENT, "FWB", "air waybill line")
    awb = shipment.group("awb")
    blocks: list[_PartyBlock] = []
    rate_lines: list[_RateLine] = []
    special_handling: list[str] = []
    routing: list[str] = []
    flights: list[tuple[str, str]] = []
    currency: str | None = None
    declared_value: float | None = None
    section, previous = "", ""
    for line in lines[1:]:
        tag_match = TAG_LINE.match(line)
        if tag_match and not line.startswith(("NAM/", "ADR/", "LOC/")):
            section, previous = tag_match.group(1), tag_match.group(1)
            rest = line[4:]
            if section in PARTY_TAGS:
                account = clean(rest.split("/")[0]) or None
                blocks.append(_PartyBlock(role=PARTY_TAGS[section], tag=section, account=account))
            elif section == "FLT":
                parts = rest.split("/")
                flights.extend((parts[i], parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2))
            elif section == "RTG":  # to-airport + by-carrier pairs: SVORU/AMSRU/LGG
                routing.extend(part for part in rest.split("/") if len(part) >= 3)
            elif section == "CVD":
                parts = rest.split("/") + [""] * 6
                currency = clean(parts[0])
                customs = parts[4]
                declared_value = float(customs) if re.fullmatch(r"\d+(\.\d+)?", customs) else None
            elif section == "RTD":
                _rate_line(rest.split("/"), rate_lines, log, f"FWB {awb}")
            elif section == "SPH":
                special_handling.extend(code for code in rest.split("/") if re.fullmatch(r"[A-Z]{3}", code))
            continue
        if section in PARTY_TAGS and blocks:
            previous = _read_party_line(blocks[-1], line, previous)
        elif section == "RTD" and line.startswith("/"):
            _rate_line(line[1:].split("/"), rate_lines, log, f"FWB {awb}")
    where = f"FWB {awb}"
    parties = [p for p in (_party_record(block, provenance, log, where) for block in blocks) if p is not None]
    by_role = {p.roles[0]: p for p in parties}
    carrier, flight_number = split_designator(flights[0][0]) if flights and flights[0][0] else ("", "")
    if not carrier and routing and re.fullmatch(r"[A-Z0-9]{2}", routing[0][3:]):
        carrier = routing[0][3:]  # no booked flight: the first carrier of the routing
    goods = [
        GoodsItem(
            sequence=index,
            description="; ".join(line.descriptions) or None,
            hs_code=line.hs_codes[0] if line.hs_codes else None,
            package_count=line.pieces,
            gross_weight_kg=line.weight_kg,
            origin_country=line.origin_country,
        )
        for index, line in enumerate(rate_lines, start=1)
    ]
    origin, destination = shipment.group("origin"), shipment.group("destination")
    consignment = Consignment(
        id=master_waybill_id(awb, origin, destination),
        transport_document=awb,
        document_type="MAWB",
        transport_mode="air",
        carrier=carrier or None,
        flight_number=f"{carrier}{flight_number}" if carrier and flight_number else None,
        origin=origin,
        destination=destination,
        **party_references(by_role.get("shipper"), by_role.get("consignee"), by_role.get("notify")),
        goods=goods,
        total_pieces=int(shipment.group("pieces")),
        total_weight_kg=kg(shipment.group("unit"), shipment.group("weight")),
        declared_value=declared_value,
        currency=currency,
        special_handling=special_handling,
        identifiers=[awb_identifier(awb, "FWB")],
        **provenance.fields(),
    )
    return [consignment, *parties]


# ---------------------------------------------------------------------------------------------
# FFM


@dataclass
class _ManifestLine:
    awb: str
    origin: str
    destination: str
    pieces: int
    weight_kg: float | None
    description: str | None
    uld: str | None
    unloading: str | None
    special_handling: list[str] = field(default_factory=list)


def _parse_ffm(lines: list[str], provenance: Provenance, log: WarningLog) -> list[Record]:
    flight = _first_line(lines, FFM_FLIGHT, "FFM", "flight line")
    carrier, number = split_designator(flight.group("flight"))
    day, departure = flight.group("day"), flight.group("origin")
    unloading_points: list[str] = []
    manifest: list[_ManifestLine] = []
    uld: str | None = None
    last_tag = ""
    for line in lines[1:]:
        shipment = SHIPMENT.match(line)
        if shipment:
            manifest.append(
                _ManifestLine(
                    awb=shipment.group("awb"),
                    origin=shipment.group("origin"),
                    destination=shipment.group("destination"),
                    pieces=int(shipment.group("pieces")),
                    weight_kg=kg(shipment.group("unit"), shipment.group("weight")),
                    description=clean(shipment.group("description")),
                    uld=uld,
                    unloading=unloading_points[-1] if unloading_points else None,
                )
            )
            last_tag = "AWB"
            continue
        if line.startswith("ULD/"):
            ident = re.split(r"[-/]", line[4:], maxsplit=1)[0].strip()
            uld = None if ident.upper() in ("", "BULK") else ident
            last_tag = "ULD"
            continue
        if SPECIAL_HANDLING.match(line) and last_tag == "AWB" and manifest:
            manifest[-1].special_handling.extend(line.strip("/").split("/"))
            continue
        tag = TAG_LINE.match(line)
        if tag and tag.group(1) in FFM_TAGS:
            last_tag = tag.group(1)
            continue
        point = UNLOADING.match(line)
        if point and not line.startswith("/"):
            unloading_points.append(point.group("airport"))
            uld, last_tag = None, "POU"
    legs: list[FlightLeg] = []
    previous = departure
    for arrival in unloading_points:
        legs.append(
            cargo_flight_leg(
                provenance, carrier=carrier, flight_number=number, day=day, departure=previous, arrival=arrival
            )
        )
        previous = arrival
    grouped: dict[tuple[str, str, str], list[_ManifestLine]] = {}
    for item in manifest:
        grouped.setdefault((item.awb, item.origin, item.destination), []).append(item)
    consignments: list[Record] = []
    for (awb, origin, destination), items in grouped.items():
        weights = [i.weight_kg for i in items if i.weight_kg is not None]
        consignments.append(
            loaded_consignment(
                provenance,
                awb=awb,
                origin=origin,
                destination=destination,
                carrier=carrier,
                flight_number=number,
                day=day,
                port_of_arrival=items[0].unloading,
                containers=list(dict.fromkeys(i.uld for i in items if i.uld)),
                goods=[
                    GoodsItem(
                        sequence=n,
                        description=i.description,
                        package_count=i.pieces,
                        gross_weight_kg=i.weight_kg,
                    )
                    for n, i in enumerate(items, start=1)
                ],
                total_pieces=sum(i.pieces for i in items),
                total_weight_kg=round(sum(weights), 3) if weights else None,
                special_handling=list(dict.fromkeys(code for i in items for code in i.special_handling)),
                source_field="FFM",
            )
        )
    return [*merge_by_id(legs), *consignments]


# ---------------------------------------------------------------------------------------------
# FHL


def _parse_fhl(lines: list[str], provenance: Provenance, log: WarningLog) -> list[Record]:
    master_line = next((line for line in lines if line.startswith("MBI/")), None)
    master = SHIPMENT.match(master_line[4:]) if master_line else None
    if master is None:
        raise ParseError("cargo_imp.syntax", "FHL without a master air waybill (MBI) line")
    awb = master.group("awb")
    records: list[Record] = []
    houses: list[tuple[re.Match[str], list[str], list[_PartyBlock]]] = []
    section, previous = "", ""
    for line in lines:
        house = HOUSE.match(line)
        if house:
            houses.append((house, [], []))
            section = "HBS"
            continue
        if not houses:
            continue
        _, extra, blocks = houses[-1]
        tag = TAG_LINE.match(line)
        if tag and not line.startswith(("NAM/", "ADR/", "LOC/")):
            section, previous = tag.group(1), tag.group(1)
            if section in PARTY_TAGS:
                blocks.append(_PartyBlock(role=PARTY_TAGS[section], tag=section))
            elif section in ("TXT", "HTS"):
                extra.append(line)
            continue
        if section in PARTY_TAGS and blocks:
            previous = _read_party_line(blocks[-1], line, previous)
        elif section in ("TXT", "HTS") and line.startswith("/"):
            extra.append(section + line)
    for house, extra, blocks in houses:
        where = f"FHL {awb} house {house.group('house').strip()}"
        parties = [p for p in (_party_record(block, provenance, log, where) for block in blocks) if p is not None]
        by_role = {p.roles[0]: p for p in parties}
        hs_codes = [
            code
            for line in extra
            if line.startswith("HTS")
            for code in (hs_code(part, log, where) for part in line[4:].split("/"))
            if code
        ]
        text = clean(" ".join(line[4:] for line in extra if line.startswith("TXT")))
        house_number = house.group("house").strip()
        weight = kg(house.group("unit"), house.group("weight"))
        records.append(
            Consignment(
                id=house_waybill_id(house_number, awb),
                transport_document=house_number,
                document_type="HAWB",
                master_document=awb,
                transport_mode="air",
                origin=house.group("origin"),
                destination=house.group("destination"),
                **party_references(by_role.get("shipper"), by_role.get("consignee")),
                goods=[
                    GoodsItem(
                        sequence=1,
                        description=clean(house.group("description")) or text,
                        hs_code=hs_codes[0] if hs_codes else None,
                        package_count=int(house.group("pieces")),
                        gross_weight_kg=weight,
                    )
                ],
                total_pieces=int(house.group("pieces")),
                total_weight_kg=weight,
                identifiers=[awb_identifier(awb, "MBI")],
                **provenance.fields(),
            )
        )
        records.extend(parties)
    return records


MessageParser = Callable[[list[str], Provenance, WarningLog], list[Record]]
PARSERS: dict[str, MessageParser] = {"FWB": _parse_fwb, "FFM": _parse_ffm, "FHL": _parse_fhl, "FSU": parse_fsu}
SUPPORTED = ", ".join(PARSERS)


def _unsupported(kind: str, version: str) -> ParseError:
    return ParseError(
        "cargo_imp.unsupported_message",
        f"{kind}/{version} ({MESSAGE_NAMES[kind]}) is not a message Sekisho reads; supported: {SUPPORTED}",
    )


def parse(payload: bytes, ctx: MessageContext) -> list[Record]:
    check_not_empty(payload)
    log = WarningLog()
    body = strip_envelope(payload, CARGO_START, log)
    # Cargo-IMP is plain ASCII by definition; other bytes are read as Latin-1, with a warning.
    text = decode_text(body, latin1_allowed=True)
    if not text.isascii():
        log.add("encoding.not_ascii", "Cargo-IMP is ASCII; the message holds other characters (read as UTF-8/Latin-1)")
    messages = _split_messages(text)
    if not messages:
        raise ParseError("cargo_imp.syntax", "no Cargo-IMP message header (such as FWB/16 or FFM/8)")
    provenance = Provenance.of(payload, ctx, FORMAT, log.items)
    records: list[Record] = []
    for number, (kind, version, lines) in enumerate(messages, start=1):
        parser = PARSERS.get(kind)
        if parser is None:
            if len(messages) == 1:
                raise _unsupported(kind, version)
            error = _unsupported(kind, version)
            part = f"message {number} of {len(messages)} ({kind}/{version})"
            records.append(
                part_rejection(payload, ctx, provenance, part=part, reason=error.reason, detail=error.detail)
            )
            continue
        message_log = WarningLog()
        records.extend(with_warnings(parser(lines, provenance, message_log), message_log.items))
    parties = merge_by_id(r for r in records if isinstance(r, Party))
    legs = merge_by_id(r for r in records if isinstance(r, FlightLeg))
    others = [r for r in records if not isinstance(r, Party | FlightLeg)]
    return [*others, *legs, *parties]
