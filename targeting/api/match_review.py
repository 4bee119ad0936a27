"""Match review: analysts confirm, clear (false positive) or mark unsure a screening hit, a subject against
one list entry. A cleared pair is left out by later screening (``enrichment.screening.decisions``) and
shows as "cleared by … on …"; decisions are listed, exported and reversed by an administrator; a list
entry that changed since its pair was cleared is re-opened for review.

Routes are added by ``register`` with the application's role gate; every decision is audited.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from enrichment.screening.decisions import entry_fingerprint, subject_key
from enrichment.screening.entries import WatchlistEntry as ListedEntry
from enrichment.screening.loaders import load_all
from enrichment.screening.stage import queries_of, query_subject_key
from enrichment.stages import screening_lists
from schemas.documents import ScreeningDecision, ScreeningVerdict, screening_decision_id
from schemas.records import ScreeningHit, record_from_dict
from sekisho.settings import Settings
from targeting.api.request_state import audit_of, principal_of, store_of
from targeting.api.roles import Role

A, CT, AD = Role.ANALYST, Role.CT_UNIT, Role.ADMIN
ReviewStatus = Literal["open", "confirmed", "cleared", "unsure", "reopened"]
STATUS_OF: dict[str, ReviewStatus] = {"confirm": "confirmed", "false_positive": "cleared", "unsure": "unsure"}
DECISION_COLUMNS = ["id", "verdict", "in_force", "list_name", "entry_id", "matched_name", "subject_name",
                    "subject_key", "record_id", "entity_id", "decided_by", "decided_at", "note", "reversed_by",
                    "reversed_at", "entry_fingerprint"]


class HitReview(BaseModel):
    """One screening hit of a record with the decision in force on its pair, if any."""

    record_id: str
    entry_id: str
    list_name: str
    matched_name: str
    query_name: str
    field: str | None
    score: float
    explanation: str
    subject_key: str
    status: ReviewStatus
    summary: str  # "cleared by … on …", "re-opened: …", "not reviewed"
    decision: ScreeningDecision | None = None


class DecisionIn(BaseModel):
    record_id: str
    entry_id: str
    field: str | None = None
    verdict: ScreeningVerdict
    note: str | None = Field(default=None, max_length=4000)


class ListEntries:
    """The list entries screening uses, by id, loaded once (their fingerprints date decisions)."""

    def __init__(self, settings: Settings, entries: Iterable[ListedEntry] | None = None) -> None:
        self.settings = settings
        self._entries: dict[str, ListedEntry] | None = None if entries is None else {e.entry_id: e for e in entries}
        self._lock = threading.Lock()

    def get(self, entry_id: str) -> ListedEntry | None:
        with self._lock:
            if self._entries is None:
                self._entries = {e.entry_id: e for e in load_all(screening_lists(self.settings))}
            return self._entries.get(entry_id)

    def fingerprint(self, entry_id: str) -> str:
        entry = self.get(entry_id)
        return entry_fingerprint(entry) if entry is not None else ""


def hit_subject_key(record: dict[str, Any], hit: ScreeningHit) -> str:
    """The subject key screening used for this hit: the record's query on the hit's field."""
    for query in queries_of(record_from_dict(dict(record))):
        shown = query.name or " ".join(value for _, value in query.identifiers)
        if query.field == hit.field and shown == hit.query_name:
            return query_subject_key(query)
    return subject_key(hit.query_name, hit.schema_name or "LegalEntity")


def review_of(record_id: str, hit: ScreeningHit, key: str, decision: ScreeningDecision | None,
              current_fingerprint: str) -> HitReview:
    status: ReviewStatus = "open"
    summary = "not reviewed"
    if decision is not None and decision.in_force:
        when = decision.decided_at.strftime("%Y-%m-%d %H:%M UTC")
        status = STATUS_OF[decision.verdict]
        summary = f"{status} by {decision.decided_by} on {when}"
        if decision.entry_fingerprint != current_fingerprint:
            status = "reopened"
            summary = f"re-opened: the list entry changed since it was {summary}"
    return HitReview(record_id=record_id, entry_id=hit.entry_id, list_name=hit.list_name,
                     matched_name=hit.matched_name, query_name=hit.query_name, field=hit.field, score=hit.score,
                     explanation=hit.explanation, subject_key=key, status=status, summary=summary,
                     decision=decision)


def decisions_csv(decisions: list[ScreeningDecision]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DECISION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in decisions:
        row = d.model_dump(mode="json")
        writer.writerow({c: row.get(c, d.in_force if c == "in_force" else "") for c in DECISION_COLUMNS})
    return out.getvalue()


def _entries(request: Request) -> ListEntries:
    entries: ListEntries = request.app.state.list_entries
    return entries


def _hits(request: Request, record_id: str) -> tuple[dict[str, Any], list[ScreeningHit]]:
    record = store_of(request).document(record_id)
    if record is None:
        raise HTTPException(404, f"no record {record_id!r}")
    return record, [ScreeningHit.model_validate(h) for h in record.get("screening") or []]


def register(api: APIRouter, gate: Callable[..., dict[str, Any]]) -> None:
    """Add the match-review routes to ``api`` with the application's role gate."""

    @api.get("/screening/hits", **gate(A, CT, AD), response_model=list[HitReview],
             summary="a record's screening hits, each with the decision in force on its pair")
    def hits(request: Request, record_id: str) -> list[HitReview]:
        store, entries = store_of(request), _entries(request)
        record, found = _hits(request, record_id)
        reviews = []
        for hit in found:
            key = hit_subject_key(record, hit)
            decision = store.screening_decision(screening_decision_id(key, hit.entry_id))
            reviews.append(review_of(record_id, hit, key, decision, entries.fingerprint(hit.entry_id)))
        audit_of(request).record(principal_of(request), "screening.hits", request.url.path, {"record_id": record_id},
                               len(reviews))
        return reviews

    @api.post("/screening/decisions", **gate(A, CT, AD), response_model=HitReview, status_code=201,
              summary="confirm, clear as a false positive, or mark unsure a screening hit (subject × list entry)")
    def decide(request: Request, body: DecisionIn) -> HitReview:
        store, entries, principal = store_of(request), _entries(request), principal_of(request)
        record, found = _hits(request, body.record_id)
        hit = next((h for h in found if h.entry_id == body.entry_id and (body.field is None or h.field == body.field)),
                   None)
        if hit is None:
            raise HTTPException(404, f"record {body.record_id!r} has no screening hit on entry {body.entry_id!r}")
        key = hit_subject_key(record, hit)
        decision = ScreeningDecision(
            subject_key=key, entry_id=hit.entry_id, list_name=hit.list_name,
            entry_fingerprint=entries.fingerprint(hit.entry_id), verdict=body.verdict, record_id=body.record_id,
            entity_id=store.entity_of(body.record_id), subject_name=hit.query_name, matched_name=hit.matched_name,
            decided_by=principal.name, decided_at=datetime.now(UTC), note=body.note)
        store.save_screening_decision(decision)
        audit_of(request).record(principal, f"screening.{body.verdict}", request.url.path, {
            "decision_id": decision.id, "record_id": body.record_id, "entry_id": hit.entry_id,
            "list": hit.list_name, "note": body.note}, 1)
        return review_of(body.record_id, hit, key, decision, decision.entry_fingerprint)

    @api.get("/screening/decisions", **gate(A, CT, AD), response_model=list[ScreeningDecision],
             summary="screening decisions, newest first; `format=csv` exports them")
    def decisions(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=10000)] = 500,
        fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    ) -> Any:
        found = store_of(request).screening_decisions(limit)
        audit_of(request).record(principal_of(request), "screening.decisions", request.url.path,
                               {"format": fmt, "limit": str(limit)}, len(found))
        if fmt == "csv":
            return Response(decisions_csv(found), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="screening-decisions.csv"'})
        return found

    @api.post("/screening/decisions/{decision_id}/reverse", **gate(AD), response_model=ScreeningDecision,
              summary="reverse a screening decision (administrators): its pair is screened and reviewed again")
    def reverse(request: Request, decision_id: str) -> ScreeningDecision:
        store, principal = store_of(request), principal_of(request)
        decision = store.screening_decision(decision_id)
        if decision is None:
            raise HTTPException(404, f"no screening decision {decision_id!r}")
        if not decision.in_force:
            raise HTTPException(409, "the decision is already reversed")
        reversed_ = decision.model_copy(update={"reversed_by": principal.name, "reversed_at": datetime.now(UTC)})
        store.save_screening_decision(reversed_)
        audit_of(request).record(principal, "screening.reverse", request.url.path, {
            "decision_id": decision_id, "verdict": decision.verdict, "entry_id": decision.entry_id}, 1)
        return reversed_
