"""The link graph's two document types: nodes and edges, frozen like the records they come from.

A node's id is the id of the record it stands for (a passenger, a booking, a consignment...) or, for
a value that several records share (a phone, an e-mail, a container number), ``make_id`` of its kind
and normalised value, so that two records with the same phone meet at one node. An edge's id is
``make_id(kind, src, dst)``: replaying a record upserts the same documents. ``graph/`` builds them.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from schemas.records import EvidenceLink, Frozen, Text

NodeKind = Literal[
    "person",
    "company",
    "address",
    "phone",
    "email",
    "travel_document",
    "payment_instrument",
    "travel_agency",
    "flight",
    "booking",
    "container",
    "vessel",
    "air_waybill",
    "transport_document",
    "consignment",
    "declaration",
    "web_page",
    "watchlist_entry",
    "identifier",
]

EdgeKind = Literal[
    "on_booking",  # passenger -> booking
    "co_travel",  # passenger -> passenger (same booking)
    "on_flight",  # passenger/booking/consignment -> flight
    "paid_by",  # booking -> payer (company or person)
    "booked_via",  # booking -> travel agency
    "has_phone",
    "has_email",
    "has_address",
    "has_document",
    "has_payment",  # booking -> payment instrument
    "has_identifier",  # record -> identifier found by enrichment
    "shipped_by",  # consignment -> shipper
    "consigned_to",  # consignment -> consignee
    "notify",  # consignment -> notify party
    "ships_to",  # shipper -> consignee
    "imported_by",  # declaration -> importer
    "exported_by",  # declaration -> exporter
    "declared_by",  # declaration -> declarant
    "declares_for",  # declarant -> importer
    "in_container",  # consignment/declaration -> container
    "on_vessel",  # consignment -> vessel
    "covered_by",  # consignment/declaration -> air waybill or other transport document
    "named",  # record -> the organisation-name node it shares with mentions and other feeds
    "mentioned_in",  # entity -> web page (NER mention)
    "matched_to",  # entity -> watchlist entry (screening hit)
    "same_as",  # flight leg record -> its flight-number/date key
]


class Node(Frozen):
    """One vertex of the link graph, with what propagation wrote back onto it."""

    INDEX_NAME: ClassVar[str] = "graph-nodes"
    INDEX_VERSION: ClassVar[int] = 1

    id: str
    kind: NodeKind
    label: Text
    value: str | None = None  # the normalised shared value (E.164 phone, lower-case e-mail...)
    record_type: str | None = None  # set when the node is a record
    roles: list[str] = Field(default_factory=list)  # shipper, consignee, passenger, crew, payer...
    list_name: str | None = None  # for watchlist entries
    watchlisted: bool = False
    seized: bool = False
    screening_score: float = 0.0
    graph_risk: float = 0.0
    pagerank: float = 0.0
    risk_explanation: Text | None = None
    risk_path: list[str] = Field(default_factory=list)  # node ids from this node to the seed
    # The archived copies behind the web-asserted edges of ``risk_path`` (with their sources' grades).
    risk_evidence: list[EvidenceLink] = Field(default_factory=list)


class Edge(Frozen):
    """One relation between two nodes, asserted by the record ``source_record``."""

    INDEX_NAME: ClassVar[str] = "graph-edges"
    INDEX_VERSION: ClassVar[int] = 1

    id: str
    kind: EdgeKind
    src: str
    dst: str
    source_record: str | None = None
    detail: str | None = None  # e.g. the screening score or the mention text
    weight: float = 1.0
    # Edges asserted by a crawled page: the archived copy (``Evidence.id``) and the source's grade;
    # ``weight`` is already scaled by the grade (``schemas.grading.grade_weight``).
    evidence: str | None = None
    evidence_digest: str | None = None  # the copy's payload digest, checked when it is read back
    grade: str | None = None
