"""Purpose-bound access to PNR data: a request names why it needs it, or PNR-derived fields come back masked.

A purpose is a case or alert reference and a legal basis from the configured list
(``Settings.api_purpose_legal_bases``), sent as two headers (a Sekisho case, ``targeting.cases``, is cited
only while open and under the legal basis it was opened with)::

    X-Sekisho-Purpose: case:2026-0042          (or alert:<alert id>)
    X-Sekisho-Legal-Basis: eu-pnr-art6-2b

Roles listed in ``Settings.api_purpose_required_roles`` (enforcement by default) get PNR-derived data
only under a purpose: without one, PNR bookings and passengers are shown depersonalised (the
retention policy's masking, record locator included), dead letters without their payload, graph
nodes that only PNR records assert without label or explanation, alerts on PNR travellers masked,
queue picks of PNR travellers without name, and PNR travellers left out of the watchlist export. A
malformed purpose or a legal basis not on the list is refused (400). The purpose is written to the
audit trail with the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, Request

from schemas.documents import Alert
from schemas.records import Booking, Passenger, Rejection, record_from_dict
from sekisho.settings import Settings
from targeting.api.export import GRAPH_LIST
from targeting.api.request_state import principal_of, store_of
from targeting.api.store import Store
from targeting.api.views import EntityCard, GraphView, SearchHit, WatchlistEntry
from targeting.queue import InspectionQueue
from targeting.retention import PNR_SOURCE_FORMAT, depersonalise
from targeting.retention_cascade import masked_alert

PURPOSE_HEADER = "X-Sekisho-Purpose"
BASIS_HEADER = "X-Sekisho-Legal-Basis"
MASK = "[PNR data: name a purpose]"
REFERENCE = re.compile(r"(case|alert):[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
PNR_RECORD_TYPES = ("passenger", "booking", "rejection")


@dataclass(frozen=True)
class Purpose:
    reference: str
    legal_basis: str

    def audit_params(self) -> dict[str, str | None]:
        return {"purpose": self.reference, "legal_basis": self.legal_basis}


def purpose_of(request: Request, legal_bases: Iterable[str]) -> Purpose | None:
    """The request's purpose, None when it names none; 400 when it names one badly."""
    reference = request.headers.get(PURPOSE_HEADER)
    basis = request.headers.get(BASIS_HEADER)
    if reference is None and basis is None:
        return None
    allowed = list(legal_bases)
    if reference is None or not REFERENCE.fullmatch(reference.strip()):
        raise HTTPException(400, f"{PURPOSE_HEADER} must be case:<reference> or alert:<alert id>")
    if basis is None or basis.strip() not in allowed:
        raise HTTPException(400, f"{BASIS_HEADER} must be one of: {', '.join(allowed)}")
    purpose = Purpose(reference.strip(), basis.strip())
    check_case(request.app.state.store, purpose)
    return purpose


def check_case(store: Store, purpose: Purpose) -> None:
    """A Sekisho case cited as purpose must be open and cited under its own legal basis (400 otherwise).

    References to cases kept elsewhere (another agency's file numbers) are taken as given."""
    if not purpose.reference.startswith("case:"):
        return
    case = store.case(purpose.reference.removeprefix("case:"))
    if case is None:
        return
    if case.state != "open":
        raise HTTPException(400, f"case {case.id} is {case.state}: a closed case is no purpose for PNR access")
    if case.legal_basis != purpose.legal_basis:
        raise HTTPException(400, f"case {case.id} was opened under {case.legal_basis}, not {purpose.legal_basis}")


def _record_type(entity_id: str) -> str:
    return entity_id.split("-", 1)[0]  # ids read <record_type>-<hash>


class PnrView:
    """What one request may see: everything under a purpose (or for a role that needs none), else masked."""

    def __init__(self, store: Store, purpose: Purpose | None, required: bool) -> None:
        self.store = store
        self.purpose = purpose
        self.masking = required and purpose is None
        self._kind: dict[str, str] = {}

    def _provenance(self, entity_id: str) -> str:
        """``pnr`` (a PNR record or a dead letter), ``record`` (another PNR-type record) or ``shared`` (anything
        else: judged by the records that assert it)."""
        if entity_id not in self._kind:
            doc = self.store.document(entity_id) if _record_type(entity_id) in PNR_RECORD_TYPES else None
            if doc is None:  # a graph value (a shared booking locator node is "booking-..." too) or another record
                kind = "shared"
            elif doc.get("record_type") == Rejection.RECORD_TYPE or doc.get("source_format") == PNR_SOURCE_FORMAT:
                kind = "pnr"
            else:
                kind = "record"
            self._kind[entity_id] = kind
        return self._kind[entity_id]

    def _record_is_pnr(self, record_id: str) -> bool:
        return self._provenance(record_id) == "pnr"

    def derived(self, ids: Iterable[str]) -> set[str]:
        """The ids that are PNR records, or graph nodes asserted by PNR records only."""
        wanted = set(ids)
        found = {i for i in wanted if self._provenance(i) == "pnr"}
        shared = {i for i in wanted if self._provenance(i) == "shared"}
        sources: dict[str, set[str]] = {}
        for item in self.store.edges_touching(shared) if shared else []:
            for end in (item.src, item.dst):
                if end in shared and item.source_record:
                    sources.setdefault(end, set()).add(item.source_record)
        found.update(node for node, records in sources.items() if all(self._record_is_pnr(r) for r in records))
        return found

    def through(self, node_ids: Iterable[str]) -> set[str]:
        """The nodes whose risk path runs through PNR-derived nodes (their explanation quotes them)."""
        nodes = self.store.nodes(node_ids)
        hidden = self.derived({step for node in nodes for step in node.risk_path})
        return {node.id for node in nodes if hidden.intersection(node.risk_path)}

    # --- masks, applied only when ``masking``
    def document(self, doc: dict[str, Any]) -> dict[str, Any]:
        if not self.masking or not doc.get("id") or not self._record_is_pnr(str(doc["id"])):
            return doc
        record = depersonalise(record_from_dict(doc), datetime.now(UTC))
        if isinstance(record, Booking):
            record = record.model_copy(update={"record_locator": MASK})
        elif isinstance(record, Passenger):
            record = record.model_copy(update={"record_locator": None, "full_name": MASK})
        return record.model_dump(mode="json", exclude_none=True)

    def graph(self, view: GraphView) -> GraphView:
        if not self.masking:
            return view
        hidden = self.derived(n.id for n in view.nodes)
        quoting = self.through(n.id for n in view.nodes if n.explanation)
        if not hidden and not quoting:
            return view
        nodes = [n.model_copy(update={"label": MASK, "explanation": None}) if n.id in hidden
                 else n.model_copy(update={"explanation": MASK}) if n.id in quoting else n
                 for n in view.nodes]
        edges = [e.model_copy(update={"detail": None}) if {e.source, e.target} & hidden else e for e in view.edges]
        paths = [p.model_copy(update={"explanation": MASK}) if hidden.intersection(p.nodes) else p
                 for p in view.paths]
        return view.model_copy(update={"nodes": nodes, "edges": edges, "paths": paths})

    def card(self, card: EntityCard) -> EntityCard:
        if not self.masking:
            return card
        hidden = card.id in self.derived([card.id])
        quoting = bool(card.explanation) and card.id in self.through([card.id])
        return card.model_copy(update={
            "label": MASK if hidden else card.label,
            "explanation": None if hidden else MASK if quoting else card.explanation,
            "document": self.document(card.document),
            "graph": self.graph(card.graph),
        })

    def hits(self, hits: list[SearchHit]) -> list[SearchHit]:
        if not self.masking:
            return hits
        hidden = self.derived(h.id for h in hits)
        return [h.model_copy(update={"label": MASK}) if h.id in hidden else h for h in hits]

    def alerts(self, alerts: list[Alert]) -> list[Alert]:
        if not self.masking:
            return alerts
        hidden = self.derived({a.record_id for a in alerts} | {n for a in alerts for n in a.graph_path})
        shown = []
        for alert in alerts:
            if alert.record_id in hidden:
                alert = masked_alert(alert).model_copy(update={"label": MASK})
            elif hidden.intersection(alert.graph_path):
                alert = alert.model_copy(update={"explanation": [], "graph_path": [], "evidence": []})
            shown.append(alert)
        return shown

    def queue(self, queue: InspectionQueue) -> InspectionQueue:
        if not self.masking:
            return queue
        hidden = self.derived(p.record_id for p in queue.picks)
        quoting = self.through(p.record_id for p in queue.picks)
        picks = [p.model_copy(update={"label": MASK, "explanation": [], "same_target": []}) if p.record_id in hidden
                 else p.model_copy(update={
                     "reason": f"{p.selection} selection, score {p.score:.2f}; why: {MASK}",
                     "explanation": [MASK if line.startswith("graph") else line for line in p.explanation]})
                 if p.record_id in quoting else p
                 for p in queue.picks]
        return queue.model_copy(update={"picks": picks})

    def watchlist(self, entries: list[WatchlistEntry]) -> list[WatchlistEntry]:
        """PNR travellers and PNR-only payers are left out of the export (a masked name is no lead)."""
        if not self.masking:
            return entries
        graph_listed = [e.id for e in entries if e.list_name == GRAPH_LIST]  # official lists are not PNR
        hidden, quoting = self.derived(graph_listed), self.through(graph_listed)
        return [e.model_copy(update={"reason": MASK}) if e.id in quoting else e
                for e in entries if e.id not in hidden]


def pnr_view(request: Request) -> PnrView:
    """What this request may see of PNR data (its purpose, and whether its role needs one)."""
    settings: Settings = request.app.state.settings
    purpose = purpose_of(request, settings.api_purpose_legal_bases)
    required = principal_of(request).role.value in settings.api_purpose_required_roles
    return PnrView(store_of(request), purpose, required)


def with_purpose(view: PnrView, params: dict[str, str | None]) -> dict[str, str | None]:
    return {**params, **(view.purpose.audit_params() if view.purpose else {})}
