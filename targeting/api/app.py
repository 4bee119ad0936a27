"""The FastAPI application: routes, their roles and their audit records.

Roles per route are declared once, in the ``dependencies`` of each route (``RoleGate``); the OpenAPI
document lists them as ``x-roles``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from crawlers.safety import parse_allowances
from feeds import PARSERS
from schemas.documents import (
    AlertState,
    AuditEvent,
    InspectionResult,
    MatchJudgement,
    Reidentification,
    SealedRecord,
    Severity,
)
from sekisho.settings import Settings
from targeting.alerts import SubscriptionStore, new_subscription
from targeting.api import (
    case_routes,
    evidence_routes,
    export,
    match_review,
    reidentify,
    search_routes,
    triage_routes,
)
from targeting.api.audit import AuditTrail
from targeting.api.auth import RoleGate
from targeting.api.entities import EntityMembers, JudgementIn, members_of, one_hit_per_entity
from targeting.api.entity_fold import shown
from targeting.api.ingest import (
    RETRY_AFTER_SECONDS,
    InflightLimiter,
    PerKeyLimiter,
    RawSink,
    check_media_type,
    message_id,
    read_body_within,
)
from targeting.api.keys import KeyStore, KeyVerifier, create_key, split_key
from targeting.api.neighbourhood import entity_card, neighbourhood
from targeting.api.purpose import pnr_view, with_purpose
from targeting.api.request_state import audit_of, principal_of, store_of
from targeting.api.roles import Role
from targeting.api.store import Store
from targeting.api.subject_report import SubjectReport, subject_report
from targeting.api.targets import port_workloads, queue_for, score_arrivals
from targeting.api.triage_routes import ALERTS_READ, worked_alerts
from targeting.api.views import (
    EntityCard,
    GraphPath,
    IngestAccepted,
    InspectionResultIn,
    SearchHit,
    SourceReport,
    SubscriptionCreated,
    SubscriptionIn,
    WatchlistFilter,
)
from targeting.queue import InspectionQueue, lane_records
from targeting.rules import RuleBook
from targeting.triage import AlertFilter, TriagedAlert
from targeting.webhook_guard import subscription_refusal

PAGE_DIR = Path(__file__).parent / "page"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

A, CT, EN, AD, CA = Role.ANALYST, Role.CT_UNIT, Role.ENFORCEMENT, Role.ADMIN, Role.CARRIER


def gate(*roles: Role) -> dict[str, Any]:
    """Route keyword arguments admitting ``roles`` (and documenting them in OpenAPI)."""
    return {
        "dependencies": [Depends(RoleGate(*roles))],
        "openapi_extra": {"x-roles": sorted(r.value for r in roles)},
    }


class Me(BaseModel):
    key_id: str
    role: str
    name: str
    purpose_required: bool = False  # PNR data is masked for this role unless a purpose is named
    legal_bases: list[str] = []


class KeyRequest(BaseModel):
    role: Role
    name: str


class KeyCreated(BaseModel):
    key: str
    role: Role
    name: str


def today() -> date:
    return datetime.now(UTC).date()


api = APIRouter(prefix="/api")


@api.get("/me", **gate(*Role), response_model=Me, summary="who the presented key belongs to")
def me(request: Request) -> Me:
    p = principal_of(request)
    settings: Settings = request.app.state.settings
    return Me(key_id=p.key_id, role=p.role.value, name=p.name,
              purpose_required=p.role.value in settings.api_purpose_required_roles,
              legal_bases=list(settings.api_purpose_legal_bases))


@api.get("/search", **gate(A, CT, AD), response_model=list[SearchHit], summary="search records and entities")
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    kind: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SearchHit]:
    view = pnr_view(request)
    store = store_of(request)
    hits = view.hits(one_hit_per_entity(store, store.search(q, kind or [], limit)))
    audit_of(request).record(
        principal_of(request),
        "search",
        request.url.path,
        with_purpose(view, {"q": q, "kind": ",".join(kind or []) or None}),
        len(hits),
    )
    return hits


@api.get(
    "/sources/report",
    **gate(A, CT, AD),
    response_model=list[SourceReport],
    summary="per feed source: records by type, messages with each warning code, dead letters by reason",
)
def source_report(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[SourceReport]:
    return store_of(request).source_reports(limit)


@api.get(
    "/entities/{entity_id}",
    **gate(A, CT, EN, AD),
    response_model=EntityCard,
    summary="entity card: the document, its risk and its neighbourhood with explanation paths",
)
def entity(
    request: Request,
    entity_id: str,
    depth: Annotated[int, Query(ge=1, le=3)] = 2,
    members: Annotated[bool, Query(description="one node per record, tied by same_as edges, instead of one per "
                                               "resolved entity")] = False,
) -> EntityCard:
    view = pnr_view(request)
    card = entity_card(store_of(request), entity_id, depth=depth)
    if card is None:
        raise HTTPException(404, f"no entity {entity_id!r}")
    audit_of(request).record(
        principal_of(request),
        "entity.view",
        request.url.path,
        with_purpose(view, {"entity_id": entity_id, "depth": str(depth)}),
        len(card.graph.nodes),
    )
    masked = view.card(card)  # masked record by record, then folded: no PNR detail moves onto an entity's node
    return masked.model_copy(update={"graph": shown(masked.graph, members=members)})


@api.get(
    "/entities/{entity_id}/paths",
    **gate(A, CT, AD),
    response_model=list[GraphPath],
    summary="shortest paths from the entity to watchlisted nodes, explained",
)
def paths(
    request: Request,
    entity_id: str,
    max_hops: Annotated[int, Query(ge=1, le=8)] = 6,
    members: Annotated[bool, Query(description="paths through records instead of resolved entities")] = False,
) -> list[GraphPath]:
    view = pnr_view(request)
    graph = shown(view.graph(neighbourhood(store_of(request), entity_id, depth=1, path_depth=max_hops)),
                  members=members)
    audit_of(request).record(
        principal_of(request),
        "graph.paths",
        request.url.path,
        with_purpose(view, {"entity_id": entity_id, "max_hops": str(max_hops)}),
        len(graph.paths),
    )
    return graph.paths


@api.get("/queue/ports", **gate(A, EN, AD), response_model=list[str], summary="ports with arrivals that day")
def queue_ports(request: Request, day: date | None = None) -> list[str]:
    return store_of(request).ports(day or today())


class PortWork(BaseModel):
    port: str
    pending: int  # picks the port's queue holds that day
    arrivals: int


@api.get(
    "/queue/workload",
    **gate(A, EN, AD),
    response_model=list[PortWork],
    summary="ports with arrivals that day, the one with the most pending work first",
)
def queue_workload(request: Request, day: date | None = None) -> list[PortWork]:
    settings: Settings = request.app.state.settings
    rules: RuleBook = request.app.state.rules
    loads = port_workloads(store_of(request), day or today(), rules.current(), settings)
    return [PortWork(port=port, pending=pending, arrivals=arrivals) for port, pending, arrivals in loads]


@api.get(
    "/queue",
    **gate(A, EN, AD),
    response_model=InspectionQueue,
    summary="the day's X-ray and examination queue of one port, within capacity, each pick explained",
)
def queue(
    request: Request, port: Annotated[str, Query(min_length=2, max_length=8)], day: date | None = None
) -> InspectionQueue:
    view = pnr_view(request)
    settings: Settings = request.app.state.settings
    the_day, the_port = day or today(), port.upper()
    rules: RuleBook = request.app.state.rules
    scores = score_arrivals(store_of(request), the_port, the_day, rules.current(), settings)
    records = lane_records(store_of(request).inspections_at(the_port), the_port)
    picked = view.queue(queue_for(scores, the_port, the_day, settings, records))
    audit_of(request).record(
        principal_of(request),
        "queue.view",
        request.url.path,
        with_purpose(view, {"port": the_port, "day": the_day.isoformat()}),
        len(picked.picks),
    )
    return picked


def record_type_of(store: Store, record_id: str) -> str | None:
    doc = store.document(record_id)
    if doc is not None:
        return str(doc.get("record_type"))
    found = store.nodes([record_id])
    return found[0].record_type if found and found[0].record_type else None


@api.post(
    "/inspections",
    **gate(EN, AD),
    response_model=InspectionResult,
    status_code=201,
    summary="record an inspection result (a label for retraining; a seizure seeds graph risk)",
)
def record_inspection(request: Request, body: InspectionResultIn, response: Response) -> InspectionResult:
    store = store_of(request)
    principal = principal_of(request)
    record_type = record_type_of(store, body.record_id)
    if record_type is None:
        raise HTTPException(404, f"no record {body.record_id!r}")
    result = InspectionResult(
        **body.model_dump(),
        record_type=record_type,
        officer=principal.name,
        inspected_at=datetime.now(UTC),
    )
    problems = store.save_inspection(result)
    if problems:  # the label is kept; the index or graph update will need a replay
        response.headers["X-Sekisho-Warnings"] = "; ".join(problems)[:500]
    audit_of(request).record(
        principal,
        "inspection.record",
        request.url.path,
        {"record_id": body.record_id, "outcome": body.outcome},
        1,
    )
    return result


@api.get(
    "/inspections",
    **gate(A, EN, AD),
    response_model=list[InspectionResult],
    summary="inspection results recorded for a record",
)
def list_inspections(request: Request, record_id: str) -> list[InspectionResult]:
    return store_of(request).inspections(record_id)


@api.get("/alerts", **gate(A, CT, AD), response_model=list[TriagedAlert],
         summary="latest alert per target, newest first, with its triage; filter by state, severity, port")
def alerts(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    state: AlertState | None = None,
    severity: Severity | None = None,
    port: Annotated[str | None, Query(max_length=8)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
) -> list[TriagedAlert]:
    view = pnr_view(request)
    store = store_of(request)
    # An alert raised again for the same target (new evidence) replaces the earlier one in the list.
    flt = AlertFilter(state=state, severity=severity, port=port, assignee=assignee)
    worked = [a for a in worked_alerts(store, store.alerts(ALERTS_READ)) if flt.admits(a)][:limit]
    masked = {a.id: a for a in view.alerts(list(worked))}
    shown = [a.model_copy(update=masked[a.id].model_dump(include={"label", "explanation", "graph_path", "evidence"}))
             for a in worked]
    audit_of(request).record(principal_of(request), "alerts.view", request.url.path, with_purpose(view, {
        "limit": str(limit), "state": state, "severity": severity, "port": port, "assignee": assignee}), len(shown))
    return shown


@api.get(
    "/entities/{entity_id}/members",
    **gate(A, CT, AD),
    response_model=EntityMembers,
    summary="the records of one canonical entity, why they merged, and the analysts' judgements",
)
def entity_members(request: Request, entity_id: str) -> EntityMembers:
    store = store_of(request)
    found = members_of(store, entity_id)
    audit_of(request).record(principal_of(request), "entity.members", request.url.path, {"entity_id": entity_id},
                             len(found.members))
    return found


@api.post(
    "/resolution/judgements",
    **gate(A, AD),
    response_model=EntityMembers,
    summary="confirm, reject or mark unsure a merge of two records; returns the entity of the left record",
)
def judge_merge(request: Request, body: JudgementIn) -> EntityMembers:
    store = store_of(request)
    principal = principal_of(request)
    if body.left == body.right:
        raise HTTPException(422, "a record is always the same entity as itself")
    for record_id in (body.left, body.right):
        if store.document(record_id) is None:
            raise HTTPException(404, f"no record {record_id!r}")
    judgement = MatchJudgement(left=body.left, right=body.right, verdict=body.verdict, analyst=principal.key_id,
                               judged_at=datetime.now(UTC), note=body.note)
    changed = store.save_judgement(judgement)
    audit_of(request).record(principal, f"resolution.{body.verdict}", request.url.path,
                             {"left": judgement.left, "right": judgement.right, "note": body.note}, len(changed))
    return members_of(store, body.left)


def subscriptions_of(request: Request) -> SubscriptionStore:
    subscriptions: SubscriptionStore = request.app.state.subscriptions
    return subscriptions


class SubscriptionView(BaseModel):
    id: str
    name: str
    url: str
    min_score: float
    record_types: list[str]
    active: bool


@api.get("/subscriptions", **gate(CT, AD), response_model=list[SubscriptionView], summary="alert webhooks")
def list_subscriptions(request: Request) -> list[SubscriptionView]:
    return [SubscriptionView(**s.model_dump(exclude={"secret"})) for s in subscriptions_of(request).list()]


@api.post(
    "/subscriptions",
    **gate(CT, AD),
    response_model=SubscriptionCreated,
    status_code=201,
    summary="subscribe a webhook to alerts (HMAC-signed deliveries); the secret is shown once",
)
def subscribe(request: Request, body: SubscriptionIn) -> SubscriptionCreated:
    settings: Settings = request.app.state.settings
    refused = subscription_refusal(body.url, parse_allowances(settings.alert_webhook_allowed_targets))
    if refused is not None:  # checked again when each delivery connects (targeting.webhook_guard)
        raise HTTPException(422, f"webhook target refused: {refused} (internal addresses need an administrator's "
                                 "HOST:PORT allowance)")
    name = body.name or principal_of(request).name
    created = subscriptions_of(request).add(
        new_subscription(
            name,
            body.url,
            secrets.token_urlsafe(32),
            min_score=body.min_score,
            record_types=body.record_types,
        )
    )
    return SubscriptionCreated(**created.model_dump(exclude={"active"}))


@api.delete("/subscriptions/{subscription_id}", **gate(CT, AD), status_code=204, summary="remove a webhook")
def unsubscribe(request: Request, subscription_id: str) -> Response:
    if not subscriptions_of(request).remove(subscription_id):
        raise HTTPException(404, f"no subscription {subscription_id!r}")
    return Response(status_code=204)


@api.get(
    "/watchlist/export",
    **gate(EN, AD),
    summary="watchlist for enforcement (CSV or FollowTheMoney JSON lines)",
    response_class=StreamingResponse,
)
def watchlist_export(
    request: Request,
    fmt: Annotated[export.ExportFormat, Query(alias="format")] = "csv",
    list_name: Annotated[list[str] | None, Query(alias="list")] = None,
    min_risk: Annotated[float | None, Query(ge=0)] = None,
    since: date | None = None,
    after: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10000)] = None,
) -> StreamingResponse:
    """Without ``limit`` the whole (filtered) list is streamed; with it, one page, and the
    ``X-Next-After`` header is the cursor for the next page (absent on the last one)."""
    store = store_of(request)
    view = pnr_view(request)
    flt = WatchlistFilter(lists=list_name or [], min_risk=min_risk, since=since)
    headers: dict[str, str] = {}
    rows: Iterator[Any]
    count: int | None = None
    if limit is not None:
        page = list(export.entries(store, flt, after, limit))
        if len(page) == limit:
            headers["X-Next-After"] = page[-1].id  # the cursor walks the list, shown or not
        shown = view.watchlist(page)
        rows, count = iter(shown), len(shown)
    else:
        rows = export.filtered(export.entries(store, flt, after, None), view.watchlist)
    audit_of(request).record(
        principal_of(request),
        "export.watchlist",
        request.url.path,
        with_purpose(view, {
            "format": fmt,
            "list": ",".join(list_name or []) or None,
            "min_risk": None if min_risk is None else str(min_risk),
            "since": since.isoformat() if since else None,
            "after": after,
            "limit": None if limit is None else str(limit),
        }),
        count,
    )
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    headers["Content-Disposition"] = f'attachment; filename="watchlist.{"csv" if fmt == "csv" else "ftm.jsonl"}"'
    return StreamingResponse(export.render(fmt, rows), media_type=media, headers=headers)


@api.get(
    "/subjects/report",
    **gate(AD),
    response_model=SubjectReport,
    summary="data-subject report: records, derived links, alerts, inspections and accesses about one traveller",
)
def data_subject_report(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    record_id: Annotated[list[str] | None, Query()] = None,
) -> SubjectReport:
    if not q and not record_id:
        raise HTTPException(422, "name the traveller (q) or their record ids (record_id)")
    report = subject_report(store_of(request), q, record_id or [])
    audit_of(request).record(principal_of(request), "subject.report", request.url.path,
                             {"q": q or None, "record_ids": ",".join(str(r["id"]) for r in report.records)},
                             len(report.records))
    return report


@api.get("/audit", **gate(AD), response_model=list[AuditEvent], summary="the audit trail, newest first")
def audit_trail(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditEvent]:
    return store_of(request).audit_events(limit)


@api.post(
    "/keys",
    **gate(AD),
    response_model=KeyCreated,
    status_code=201,
    summary="create an API key (the plain key is shown once)",
)
def new_api_key(request: Request, body: KeyRequest) -> KeyCreated:
    key_store: KeyStore = request.app.state.key_store
    plain = create_key(key_store, body.role, body.name)
    created = split_key(plain)
    audit_of(request).record(principal_of(request), "key.create", request.url.path,
                             {"new_key_id": created[0] if created else None, "new_role": body.role.value,
                              "new_name": body.name}, 1)
    return KeyCreated(key=plain, role=body.role, name=body.name)


class ReidentificationIn(BaseModel):
    record_ids: list[str]
    case_reference: str
    legal_basis: str
    reason: str


class Decision(BaseModel):
    approve: bool


@api.post(
    "/reidentifications",
    **gate(A, CT, EN, AD),
    response_model=Reidentification,
    status_code=201,
    summary="ask to see depersonalised PNR records again, for a case (a second person approves)",
)
def request_reidentification(request: Request, body: ReidentificationIn) -> Reidentification:
    settings: Settings = request.app.state.settings
    asked = reidentify.new_request(principal_of(request), body.record_ids, body.case_reference, body.legal_basis,
                                   body.reason, settings.api_purpose_legal_bases)
    store_of(request).save_reidentification(asked)
    audit_of(request).record(principal_of(request), "reidentification.request", request.url.path,
                             {"request_id": asked.id, "case": asked.case_reference, "legal_basis": asked.legal_basis,
                              "record_ids": ",".join(asked.record_ids)}, len(asked.record_ids))
    return asked


def reidentification_of(request: Request, request_id: str) -> Reidentification:
    found = store_of(request).reidentification(request_id)
    if found is None:
        raise HTTPException(404, f"no re-identification request {request_id!r}")
    return found


@api.post(
    "/reidentifications/{request_id}/decision",
    **gate(Role.APPROVER),
    response_model=Reidentification,
    summary="approve or reject a re-identification request (not one's own); an approval is time-limited",
)
def decide_reidentification(request: Request, request_id: str, body: Decision) -> Reidentification:
    settings: Settings = request.app.state.settings
    decided = reidentify.decide(reidentification_of(request, request_id), principal_of(request), body.approve,
                                settings.reidentification_hours)
    store_of(request).save_reidentification(decided)
    audit_of(request).record(principal_of(request), f"reidentification.{decided.status}", request.url.path,
                             {"request_id": decided.id, "case": decided.case_reference,
                              "expires_at": decided.expires_at.isoformat() if decided.expires_at else None}, 1)
    return decided


@api.get(
    "/reidentifications/{request_id}/records",
    **gate(A, CT, EN, AD),
    response_model=list[SealedRecord],
    summary="the original PNR records of an approved, unexpired request (its requester only)",
)
def reidentified_records(request: Request, request_id: str) -> list[SealedRecord]:
    asked = reidentification_of(request, request_id)
    records = reidentify.sealed_records(store_of(request), asked, principal_of(request))
    audit_of(request).record(principal_of(request), "reidentification.read", request.url.path,
                             {"request_id": asked.id, "case": asked.case_reference,
                              "record_ids": ",".join(r.id for r in records)}, len(records))
    return records


ingest = APIRouter()
RAW_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@ingest.post(
    "/ingest/{fmt}",
    dependencies=[Depends(RoleGate(CA, AD))],
    openapi_extra={"x-roles": sorted([CA.value, AD.value]), **RAW_BODY_DOC},
    status_code=202,
    response_model=IngestAccepted,
    summary="submit one raw carrier message (a format name, or `auto` to let the stream sniff it)",
    responses={
        413: {"description": "message too large"},
        429: {"description": "saturated, retry later"},
        503: {"description": "message bus unavailable, retry later"},
    },
)
async def ingest_message(request: Request, fmt: str) -> IngestAccepted:
    if fmt != "auto" and fmt not in PARSERS:
        raise HTTPException(404, f"unknown format {fmt!r}; known: auto, {', '.join(sorted(PARSERS))}")
    check_media_type(request)
    key_id = principal_of(request).key_id
    per_key: PerKeyLimiter = request.app.state.ingest_per_key
    if not per_key.try_enter(key_id):
        raise HTTPException(429, "too many messages in flight for this key",
                            headers={"Retry-After": RETRY_AFTER_SECONDS})
    limiter: InflightLimiter = request.app.state.ingest_limiter
    if not limiter.try_enter():
        per_key.leave(key_id)
        raise HTTPException(429, "too many messages in flight", headers={"Retry-After": RETRY_AFTER_SECONDS})
    try:
        settings: Settings = request.app.state.settings
        payload = await read_body_within(request, settings.max_message_bytes, settings.api_body_timeout_s)
        if not payload:
            raise HTTPException(400, "empty message")
        mid = message_id(payload)
        sink: RawSink = request.app.state.raw_sink
        source = f"api:{principal_of(request).name}"
        try:
            await run_in_threadpool(sink.send, payload, source=source, format_hint=fmt, message_id=mid)
        except Exception as exc:  # the bus is down or timed out: the carrier should retry later
            raise HTTPException(
                503, f"message bus unavailable: {type(exc).__name__}", headers={"Retry-After": "5"}
            ) from exc
        return IngestAccepted(message_id=mid, format=fmt, bytes=len(payload))
    finally:
        limiter.leave()
        per_key.leave(key_id)


# Web evidence (archived copies) and source grades.
evidence_routes.register(api, gate)
# Alert triage: acknowledge, assign, note, close, reopen (audited; webhooks hear of state changes).
triage_routes.register(api, gate)
# Match review: decisions on screening hits (cleared pairs are left out by later screening).
match_review.register(api, gate)
# Saved searches: kept per key, subscribed ones alert on new matching records.
search_routes.register(api, gate)
# Cases: alerts, entities, decisions, evidence and notes of one matter, under a legal basis; exported.
case_routes.register(api, gate)

ROUTERS = (api, ingest)


def route_roles() -> list[tuple[str, str, frozenset[Role]]]:
    """(method, path, admitted roles) for every API route: the table the role tests walk."""
    table: list[tuple[str, str, frozenset[Role]]] = []
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            gates = [d.dependency for d in route.dependencies if isinstance(d.dependency, RoleGate)]
            roles = gates[0].roles if gates else frozenset()
            table.extend((method, route.path, roles) for method in sorted(route.methods or ()))
    return table


def create_app(
    store: Store,
    key_store: KeyStore,
    raw_sink: RawSink,
    subscriptions: SubscriptionStore,
    settings: Settings,
    audit_anchor: Path | None = None,
) -> FastAPI:
    """The whole HTTP interface over the given data, keys, raw-message sink and webhook subscriptions,
    configured by ``settings`` (read once by the entry point, ``sekisho serve``). ``audit_anchor`` is the
    file the audit chain's head is anchored in (None: kept in memory, for tests and the sample)."""
    s = settings
    app = FastAPI(
        title="Sekisho",
        version="0.1.0",
        description="Border intelligence and targeting: search, entity cards and link graph, inspection "
        "queues, inspection results, alerts and webhooks, watchlist export, and carrier ingestion. "
        "Every route admits only the roles listed under `x-roles`; authenticate with "
        "`Authorization: Bearer <key>` or `X-API-Key`.",
        docs_url=None,  # the bundled Swagger UI would load from a CDN; the schema is at /openapi.json
        redoc_url=None,
        # "/api/x/" -> "/api/x" redirects would be built from the request's Host header (reflected)
        redirect_slashes=False,
    )
    app.state.store = store
    app.state.audit = AuditTrail(store, audit_anchor)
    app.state.key_store = key_store
    app.state.verifier = KeyVerifier(key_store)
    app.state.raw_sink = raw_sink
    app.state.subscriptions = subscriptions
    app.state.rules = RuleBook(s.targeting_rules_dir)
    app.state.settings = s
    app.state.list_entries = match_review.ListEntries(s)
    app.state.ingest_limiter = InflightLimiter(s.api_max_inflight)
    app.state.ingest_per_key = PerKeyLimiter(s.api_max_inflight_per_key)
    app.include_router(api)
    app.include_router(ingest)

    @app.middleware("http")
    async def page_security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        # The page loads nothing from elsewhere; the policy makes that a guarantee, not a habit.
        # A route with a policy of its own (the case report: inline styles, no script) keeps it.
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path.startswith(("/api/", "/ingest/")):
            # answers carry personal data: no browser, proxy or shared cache may keep them
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html", media_type="text/html")

    app.mount("/page", StaticFiles(directory=PAGE_DIR), name="page")
    return app
