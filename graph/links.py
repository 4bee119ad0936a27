"""The ``link`` stage: a record in, the nodes and edges it asserts out (pure, deterministic).

``links_of(record)`` is called by the stream job on every enriched record; the results are upserted
into the node and edge indices (``graph.store``), where sightings of the same node from different
records merge.
"""

from __future__ import annotations

import re
from itertools import combinations

from graph.keys import (
    address_key,
    compact_key,
    email_key,
    flight_key,
    imo_key,
    org_name_key,
    phone_key,
    shared_node_id,
)
from graph.model import Edge, EdgeKind, Node, NodeKind, edge, merge_nodes
from schemas.grading import grade_weight
from schemas.records import (
    Address,
    Booking,
    Consignment,
    CrawledPage,
    Declaration,
    FlightLeg,
    Party,
    Passenger,
    Record,
    ScreeningHit,
    TravelDocument,
)

ISO6346_SHAPE = re.compile(r"[A-Z]{3}[UJZ]\d{7}")
MAX_CO_TRAVELLERS = 9  # a group booking of 200 is not a network: no pairwise edges beyond this

# Identifier schemes (enrichment.identifiers) -> the node kind they join on. Unknown schemes become
# generic identifier nodes; schemes in SKIPPED_SCHEMES are classifications, not identities.
SCHEME_KINDS: dict[str, NodeKind] = {
    "phone": "phone",
    "email": "email",
    "container": "container",
    "iso6346": "container",
    "imo": "vessel",
    "awb": "air_waybill",
    "iban": "payment_instrument",
    "card": "payment_instrument",
    "payment_card": "payment_instrument",
    "mrz": "travel_document",
    "passport": "travel_document",
    "url": "web_page",
}
SKIPPED_SCHEMES = frozenset({"hs", "hs_code", "hscode", "currency", "country"})


def watchlist_node_id(list_name: str, entry_id: str) -> str:
    return shared_node_id("watchlist_entry", f"{list_name}\x1f{entry_id}")


def document_node_id(document: TravelDocument) -> str | None:
    number = compact_key(document.number, min_length=5)
    if number is None:
        return None
    return shared_node_id("travel_document", f"{document.issuing_country or ''}:{number}")


class _Links:
    """Accumulates the nodes (merged by id) and edges (deduplicated by id) of one record."""

    def __init__(self, record: Record) -> None:
        self.record = record
        # What a crawled page asserts counts as much as its source's grade allows, and points to its copy.
        self.grade_weight = 1.0
        self.evidence: str | None = None
        self.evidence_digest: str | None = None
        self.grade: str | None = None
        if isinstance(record, CrawledPage):
            self.grade_weight = grade_weight(record.reliability, record.credibility)
            self.evidence = record.evidence.id if record.evidence else None
            self.evidence_digest = record.evidence.digest if record.evidence else None
            self.grade = record.grade
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        # Which node stands for a named field of the record (for screening hits on that field).
        self.field_nodes: dict[str, str] = {}

    def node(self, node_id: str, kind: NodeKind, label: str, **fields: object) -> str:
        new = Node.model_validate({"id": node_id, "kind": kind, "label": label or node_id, **fields})
        old = self.nodes.get(node_id)
        self.nodes[node_id] = new if old is None else merge_nodes(old, new)
        return node_id

    def link(
        self,
        kind: EdgeKind,
        src: str | None,
        dst: str | None,
        *,
        detail: str | None = None,
        weight: float = 1.0,
    ) -> None:
        if src is None or dst is None or src == dst:
            return
        new = edge(
            kind,
            src,
            dst,
            source_record=self.record.id,
            detail=detail,
            # A screening match is Sekisho's own finding about a name, not the page's assertion: not graded.
            weight=weight if kind == "matched_to" else weight * self.grade_weight,
            evidence=self.evidence,
            evidence_digest=self.evidence_digest,
            grade=self.grade,
        )
        self.edges.setdefault(new.id, new)

    def shared(self, kind: NodeKind, key: str | None, label: str | None = None) -> str | None:
        if key is None:
            return None
        return self.node(shared_node_id(kind, key), kind, label or key, value=key)

    def org(self, name: str | None, role: str | None = None, kind: NodeKind = "company") -> str | None:
        key = org_name_key(name)
        if key is None or name is None:
            return None
        return self.node(shared_node_id(kind, key), kind, name.strip(), value=key, roles=[role] if role else [])

    def party_ref(self, party_id: str | None, name: str | None, role: str, field: str) -> str | None:
        """A trade party referenced by id (its record) and/or by name (the organisation-name node)."""
        name_node = self.org(name, role)
        node_id = None
        if party_id:
            node_id = self.node(party_id, "company", name or party_id, record_type="party", roles=[role])
            self.link("named", node_id, name_node)
        node_id = node_id or name_node
        if node_id is not None:
            self.field_nodes[field] = node_id
        return node_id

    def contacts(
        self,
        owner: str,
        phones: list[str],
        emails: list[str],
        addresses: list[Address],
        region: str | None = None,
    ) -> None:
        for raw in phones:
            self.link("has_phone", owner, self.shared("phone", phone_key(raw, region)))
        for raw in emails:
            self.link("has_email", owner, self.shared("email", email_key(raw)))
        for address in addresses:
            key = address_key(address)
            label = ", ".join([*address.lines, address.city or "", address.country or ""]).strip(", ")
            self.link("has_address", owner, self.shared("address", key, label or key))

    def flight(self, carrier: str | None, number: str | None, day: object | None) -> str | None:
        key = flight_key(carrier, number, day)
        return self.shared("flight", key, f"flight {key}" if key else None)


def _passenger(links: _Links, record: Passenger) -> None:
    role = "traveller" if record.role in ("passenger", "infant", "in_transit") else record.role
    me = links.node(record.id, "person", record.full_name, record_type=record.record_type, roles=[role])
    links.field_nodes["full_name"] = me
    region = record.address.country if record.address else record.nationality
    addresses = [record.address] if record.address else []
    links.contacts(me, record.phones, record.emails, addresses, region)
    for document in record.documents:
        doc_id = document_node_id(document)
        if doc_id is not None:
            label = f"{document.doc_type or 'document'} {document.number} ({document.issuing_country or '?'})"
            links.node(doc_id, "travel_document", label, value=document.number)
            links.link("has_document", me, doc_id)
    if record.booking_id:
        links.node(
            record.booking_id,
            "booking",
            f"booking {record.record_locator or record.booking_id}",
            record_type="booking",
        )
        links.link("on_booking", me, record.booking_id)
    elif record.record_locator:
        links.link(
            "on_booking",
            me,
            links.shared("booking", record.record_locator.upper(), f"booking {record.record_locator.upper()}"),
        )
    for leg in record.flight_leg_ids:
        links.node(leg, "flight", f"flight {leg}", record_type="flight_leg")
        links.link("on_flight", me, leg)


def _booking(links: _Links, record: Booking) -> None:
    me = links.node(
        record.id,
        "booking",
        f"booking {record.record_locator}",
        value=record.record_locator,
        record_type=record.record_type,
    )
    # Passengers of the booking reach it through the locator too, when their feed had no booking id.
    links.link(
        "same_as",
        me,
        links.shared("booking", record.record_locator.upper(), f"booking {record.record_locator.upper()}"),
    )
    for passenger_id in record.passenger_ids:
        links.node(passenger_id, "person", passenger_id, record_type="passenger", roles=["traveller"])
        links.link("on_booking", passenger_id, me)
    if len(record.passenger_ids) <= MAX_CO_TRAVELLERS:
        for left, right in combinations(sorted(set(record.passenger_ids)), 2):
            links.link("co_travel", left, right, detail=record.record_locator)
    for leg in record.flight_leg_ids:
        links.node(leg, "flight", f"flight {leg}", record_type="flight_leg")
        links.link("on_flight", me, leg)
    payer = links.org(record.payer_name, "payer")
    links.link("paid_by", me, payer, detail=record.form_of_payment)
    if payer:
        links.field_nodes["payer_name"] = payer
    agency_key = org_name_key(record.travel_agency)
    if agency_key and record.travel_agency:
        agency = links.shared("travel_agency", agency_key, record.travel_agency)
        links.link("booked_via", me, agency)
        links.field_nodes["travel_agency"] = agency or me
    card = compact_key(record.payment_card)
    if card:
        links.link("has_payment", me, links.shared("payment_instrument", card, f"card {record.payment_card}"))
    links.contacts(me, record.phones, record.emails, record.addresses)


def _transport(links: _Links, me: str, document: str | None, air: bool, containers: list[str]) -> None:
    kind: NodeKind = "air_waybill" if air else "transport_document"
    key = compact_key(document)
    if key:
        label = f"{'AWB' if air else 'transport document'} {document}"
        links.link("covered_by", me, links.shared(kind, key, label))
    for container in containers:
        key = compact_key(container, min_length=10)
        if key is None or not ISO6346_SHAPE.fullmatch(key):
            continue  # an air cargo ULD (PMC12345CX) carries a whole flight's cargo: not a join key
        links.link("in_container", me, links.shared("container", key, f"container {key}"))


def _consignment(links: _Links, record: Consignment) -> None:
    me = links.node(
        record.id,
        "consignment",
        f"consignment {record.transport_document}",
        value=record.transport_document,
        record_type=record.record_type,
    )
    air = record.transport_mode == "air" or "AWB" in (record.document_type or "").upper()
    _transport(links, me, record.transport_document, air, record.containers)
    if record.master_document:
        _transport(links, me, record.master_document, air, [])
    imo = imo_key(record.vessel_imo)
    vessel = links.shared("vessel", imo, f"vessel IMO {imo}" if imo else None)
    links.link("on_vessel", me, vessel)
    if vessel:
        links.field_nodes["vessel_imo"] = vessel
    links.link("on_flight", me, links.flight(record.carrier, record.flight_number, record.arrival_date))
    shipper = links.party_ref(record.shipper_id, record.shipper_name, "shipper", "shipper_name")
    consignee = links.party_ref(record.consignee_id, record.consignee_name, "consignee", "consignee_name")
    notify = links.party_ref(record.notify_party_id, None, "notify", "notify_party")
    links.link("shipped_by", me, shipper)
    links.link("consigned_to", me, consignee)
    links.link("notify", me, notify)
    links.link("ships_to", shipper, consignee, detail=record.transport_document)


def _declaration(links: _Links, record: Declaration) -> None:
    me = links.node(
        record.id,
        "declaration",
        f"declaration {record.reference}",
        value=record.reference,
        record_type=record.record_type,
    )
    _transport(links, me, record.transport_document, False, record.containers)
    importer = links.party_ref(record.importer_id, record.importer_name, "importer", "importer_name")
    exporter = links.party_ref(record.exporter_id, record.exporter_name, "exporter", "exporter_name")
    declarant = links.party_ref(record.declarant_id, record.declarant_name, "declarant", "declarant_name")
    links.link("imported_by", me, importer)
    links.link("exported_by", me, exporter)
    links.link("declared_by", me, declarant)
    links.link("declares_for", declarant, importer, detail=record.reference)


def _party(links: _Links, record: Party) -> None:
    kind: NodeKind = "person" if record.schema_name == "Person" else "company"
    me = links.node(record.id, kind, record.name, record_type=record.record_type, roles=list(record.roles))
    links.field_nodes["name"] = me
    if kind == "company":
        links.link("named", me, links.org(record.name))
    region = record.address.country if record.address else None
    links.contacts(me, record.phones, record.emails, [record.address] if record.address else [], region)
    for registration in record.registration_ids:
        links.link(
            "has_identifier",
            me,
            links.shared("identifier", compact_key(registration), f"registration {registration}"),
        )


def _page(links: _Links, record: CrawledPage) -> None:
    me = links.node(
        record.id,
        "web_page",
        record.title or record.canonical_url,
        value=record.canonical_url,
        record_type=record.record_type,
    )
    links.contacts(me, record.phones, record.emails, [], record.ship_from)
    seller = links.org(record.seller, "seller")
    if seller:
        links.field_nodes["seller"] = seller
        links.link("mentioned_in", seller, me, detail="seller")


def _mentions(links: _Links, record: Record) -> None:
    # Places are left out: "Hong Kong" would join every record that names it.
    for mention in record.mentions:
        if mention.label == "ORG":
            links.link("mentioned_in", links.org(mention.text), record.id, detail=mention.text)
        elif mention.label == "PER":
            key = org_name_key(mention.text)
            node = links.shared("person", key, mention.text) if key else None
            links.link("mentioned_in", node, record.id, detail=mention.text)


def _flight_leg(links: _Links, record: FlightLeg) -> None:
    route = f"{record.departure_airport or '?'}-{record.arrival_airport or '?'}"
    me = links.node(
        record.id,
        "flight",
        f"flight {record.carrier}{record.flight_number} {route}",
        record_type=record.record_type,
    )
    day = record.flight_date or (record.departure_time.date() if record.departure_time else None)
    links.link("same_as", me, links.flight(record.carrier, record.flight_number, day))


def _identifiers(links: _Links, record: Record) -> None:
    for identifier in record.identifiers:
        scheme = identifier.scheme.lower()
        if not identifier.valid or scheme in SKIPPED_SCHEMES:
            continue
        kind = SCHEME_KINDS.get(scheme, "identifier")
        if kind == "phone":
            key = phone_key(identifier.value)
        elif kind == "email":
            key = email_key(identifier.value)
        elif kind == "web_page":
            key = identifier.value.strip()
        else:
            key = compact_key(identifier.value)
        edge_kind: EdgeKind = {"phone": "has_phone", "email": "has_email"}.get(kind, "has_identifier")  # type: ignore[assignment]
        links.link(edge_kind, record.id, links.shared(kind, key, f"{scheme} {identifier.value}"))


def _screening(links: _Links, hits: list[ScreeningHit], record_node: str) -> None:
    for hit in hits:
        entry_id = watchlist_node_id(hit.list_name, hit.entry_id)
        entry = links.node(
            entry_id,
            "watchlist_entry",
            hit.matched_name,
            value=hit.entry_id,
            list_name=hit.list_name,
            watchlisted=True,
        )
        subject = links.field_nodes.get(hit.field or "")
        if subject is None:
            # A hit on a name found in text: that name's node, if this record produced one.
            key = org_name_key(hit.query_name)
            named = [shared_node_id(kind, key) for kind in ("company", "person")] if key else []
            subject = next((candidate for candidate in named if candidate in links.nodes), record_node)
        current = links.nodes[subject]
        links.nodes[subject] = current.model_copy(update={"screening_score": max(current.screening_score, hit.score)})
        links.link(
            "matched_to",
            subject,
            entry,
            detail=f"{hit.score:.2f} {hit.explanation}"[:500],
            weight=max(0.0, min(1.0, hit.score)),
        )


def links_of(record: Record) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges that ``record`` asserts; a rejection asserts none."""
    links = _Links(record)
    if isinstance(record, Passenger):
        _passenger(links, record)
    elif isinstance(record, Booking):
        _booking(links, record)
    elif isinstance(record, Consignment):
        _consignment(links, record)
    elif isinstance(record, Declaration):
        _declaration(links, record)
    elif isinstance(record, Party):
        _party(links, record)
    elif isinstance(record, CrawledPage):
        _page(links, record)
    elif isinstance(record, FlightLeg):
        _flight_leg(links, record)
    else:
        return [], []
    _identifiers(links, record)
    _mentions(links, record)
    _screening(links, record.screening, record.id)
    return list(links.nodes.values()), list(links.edges.values())
