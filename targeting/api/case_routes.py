"""Routes of cases (``targeting.cases``): open one from an alert, a queue pick or an entity; add alerts,
entities, screening decisions and evidence links; note; close; reopen; export as FollowTheMoney entities
or as a standalone HTML report. Who may do what is ``targeting.cases.may``; every action is audited,
exports with the case as their purpose and its legal basis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from schemas.documents import Case, CaseOrigin
from sekisho.settings import Settings
from targeting.api import case_file, case_report
from targeting.api.request_state import audit_of, principal_of, store_of
from targeting.api.roles import Role
from targeting.api.store import Store
from targeting.cases import (
    CaseAction,
    CaseError,
    ItemKind,
    add_item,
    add_note,
    close_case,
    may,
    open_case,
    reopen_case,
)

A, CT, AD = Role.ANALYST, Role.CT_UNIT, Role.ADMIN
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'none'")


class CaseIn(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    legal_basis: str = Field(max_length=100)
    opened_from: CaseOrigin
    ref: str = Field(min_length=1, max_length=300)  # the alert key, the picked record id or the entity id


class CaseView(Case):
    """A case with what its items are called (entity labels, alert titles, decision summaries)."""

    labels: dict[str, str] = Field(default_factory=dict)


def view_of(store: Store, case: Case) -> CaseView:
    labels = {n.id: n.label for n in store.nodes(case.entities)}
    for key in case.alerts:
        found = store.alerts_keyed(key)
        if found:
            labels[key] = found[0].title
    for decision_id in case.decisions:
        d = store.screening_decision(decision_id)
        if d is not None:
            labels[decision_id] = f"{d.verdict.replace('_', ' ')}: {d.subject_name} / {d.matched_name} ({d.list_name})"
    return CaseView(**case.model_dump(), labels=labels)


class ItemIn(BaseModel):
    kind: ItemKind
    ref: str = Field(min_length=1, max_length=2000)
    label: str | None = Field(default=None, max_length=300)  # for evidence links


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class CloseIn(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


def known_entity(store: Store, entity_id: str) -> bool:
    return bool(store.nodes([entity_id])) or store.document(entity_id) is not None


def check_item(store: Store, kind: ItemKind, ref: str) -> None:
    """404 unless the alert, entity or decision exists (evidence links are taken as given)."""
    missing = (
        (kind == "alert" and not store.alerts_keyed(ref))
        or (kind == "entity" and not known_entity(store, ref))
        or (kind == "decision" and store.screening_decision(ref) is None)
    )
    if missing:
        raise HTTPException(404, f"no {kind} {ref!r}")


def register(api: APIRouter, gate: Callable[..., dict[str, Any]]) -> None:
    """Add the case routes to ``api`` with the application's role gate."""

    def allowed(request: Request, case_id: str, action: CaseAction) -> Case:
        principal = principal_of(request)
        case = store_of(request).case(case_id)
        refusal: tuple[int, str] | None = None
        if case is None or not may(case, "read", principal.key_id, principal.role.value):
            refusal = 404, f"no case {case_id!r}"  # someone else's case is none of the caller's business
        elif not may(case, action, principal.key_id, principal.role.value):
            refusal = 403, f"role {principal.role.value!r} may not {action} a case it does not own"
        if refusal is not None:
            audit_of(request).record(principal, "case.refused", request.url.path,
                                     {"case_id": case_id, "action": action, "status": str(refusal[0])}, 0)
            raise HTTPException(*refusal)
        assert case is not None
        return case

    def audited(request: Request, action: str, case: Case, count: int = 1, **extra: str | None) -> None:
        params: dict[str, str | None] = {"case_id": case.id, "purpose": f"case:{case.id}",
                                         "legal_basis": case.legal_basis, **extra}
        audit_of(request).record(principal_of(request), f"case.{action}", request.url.path, params, count)

    def changed(request: Request, action: str, case: Case, change: Callable[[Case], Case],
                **extra: str | None) -> CaseView:
        try:
            updated = change(case)
        except CaseError as exc:
            raise HTTPException(409, str(exc)) from exc
        store_of(request).save_case(updated)
        audited(request, action, updated, 1, **extra)
        return view_of(store_of(request), updated)

    @api.post("/cases", **gate(A, CT, AD), response_model=CaseView, status_code=201,
              summary="open a case from an alert (its key), a queue pick (its record) or an entity, "
                      "under a legal basis")
    def open_(request: Request, body: CaseIn) -> CaseView:
        settings: Settings = request.app.state.settings
        store, principal = store_of(request), principal_of(request)
        if body.legal_basis not in settings.api_purpose_legal_bases:
            raise HTTPException(422, f"legal basis must be one of: {', '.join(settings.api_purpose_legal_bases)}")
        alerts, entities = [], [body.ref]
        if body.opened_from == "alert":
            check_item(store, "alert", body.ref)
            alerts, entities = [body.ref], [store.alerts_keyed(body.ref)[0].record_id]
        else:
            check_item(store, "entity", body.ref)
        case = open_case(title=body.title, legal_basis=body.legal_basis, opened_from=body.opened_from,
                         origin_id=body.ref, owner=principal.name, owner_key_id=principal.key_id,
                         now=datetime.now(UTC), alerts=alerts, entities=entities)
        store.save_case(case)
        audited(request, "open", case, opened_from=body.opened_from, ref=body.ref)
        return view_of(store, case)

    @api.get("/cases", **gate(A, CT, AD), response_model=list[Case],
             summary="cases the caller may read (an analyst's own; all for the CT unit and administrators)")
    def list_cases(request: Request, state: Literal["open", "closed"] | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[Case]:
        principal = principal_of(request)
        return [c for c in store_of(request).cases(limit)
                if may(c, "read", principal.key_id, principal.role.value) and (state is None or c.state == state)]

    @api.get("/cases/{case_id}", **gate(A, CT, AD), response_model=CaseView, summary="one case")
    def read(request: Request, case_id: str) -> CaseView:
        case = allowed(request, case_id, "read")
        audited(request, "read", case)
        return view_of(store_of(request), case)

    @api.post("/cases/{case_id}/items", **gate(A, CT, AD), response_model=CaseView,
              summary="add an alert (key), an entity, a screening decision or an evidence link to an open case")
    def add(request: Request, case_id: str, body: ItemIn) -> CaseView:
        case = allowed(request, case_id, "add")
        check_item(store_of(request), body.kind, body.ref)
        by = principal_of(request).name
        return changed(request, "add", case, lambda c: add_item(c, body.kind, body.ref, by=by, now=datetime.now(UTC),
                                                                label=body.label), kind=body.kind, ref=body.ref)

    @api.post("/cases/{case_id}/notes", **gate(A, CT, AD), response_model=CaseView,
              summary="add a note to an open case")
    def note(request: Request, case_id: str, body: NoteIn) -> CaseView:
        case = allowed(request, case_id, "note")
        by = principal_of(request).name
        return changed(request, "note", case, lambda c: add_note(c, body.text, by=by, now=datetime.now(UTC)),
                       note=body.text)

    @api.post("/cases/{case_id}/close", **gate(A, CT, AD), response_model=CaseView,
              summary="close a case (its owner or an administrator)")
    def close(request: Request, case_id: str, body: CloseIn | None = None) -> CaseView:
        case = allowed(request, case_id, "close")
        by, text = principal_of(request).name, body.note if body else None
        return changed(request, "close", case, lambda c: close_case(c, by=by, now=datetime.now(UTC), note=text),
                       note=text)

    @api.post("/cases/{case_id}/reopen", **gate(AD), response_model=CaseView,
              summary="reopen a closed case (administrators)")
    def reopen(request: Request, case_id: str) -> CaseView:
        case = allowed(request, case_id, "reopen")
        by = principal_of(request).name
        return changed(request, "reopen", case, lambda c: reopen_case(c, by=by, now=datetime.now(UTC)))

    @api.get("/cases/{case_id}/export", **gate(A, CT, AD), response_class=Response,
             summary="the case as FollowTheMoney entities (JSON lines): its graph, alerts, decisions, evidence")
    def export_ftm(request: Request, case_id: str) -> Response:
        case = allowed(request, case_id, "export")
        entities = list(case_file.ftm_entities(case_file.gather(store_of(request), case)))
        audited(request, "export", case, len(entities), format="ftm")
        body = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities)
        return Response(body, media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="case-{case.id}.ftm.jsonl"'})

    @api.get("/cases/{case_id}/report", **gate(A, CT, AD), response_class=Response,
             summary="the case as a standalone HTML report: graph picture, explanations, alerts, decisions, evidence")
    def report(request: Request, case_id: str) -> Response:
        case = allowed(request, case_id, "export")
        file = case_file.gather(store_of(request), case)
        page = case_report.render(file, exported_by=principal_of(request).name, exported_at=datetime.now(UTC))
        audited(request, "export", case, len(file.graph.nodes), format="html")
        return Response(page, media_type="text/html; charset=utf-8", headers={
            "Content-Security-Policy": REPORT_POLICY,
            "Content-Disposition": f'inline; filename="case-{case.id}.html"'})
