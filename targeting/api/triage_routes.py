"""Routes of alert triage: the alert list with its states, filters and counts; acknowledge, assign, note,
close with a disposition, reopen. Every action is audited, and the CT unit's webhooks receive each state
change (signed like alerts, delivered after the answer, through the guarded client).

Who may do what: analysts, the CT unit and administrators work alerts (acknowledge, assign, note, close);
only an administrator reopens a closed alert; enforcement works the queue, not alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from pydantic import BaseModel, Field

from crawlers.safety import parse_allowances
from schemas.documents import Alert, Disposition
from sekisho.settings import Settings
from targeting.alerts import SubscriptionStore, post_signed
from targeting.api.entities import latest_per_target
from targeting.api.request_state import audit_of, principal_of, store_of
from targeting.api.roles import Role
from targeting.api.store import Store
from targeting.triage import (
    AlertCounts,
    TriagedAlert,
    TriageError,
    apply,
    counts,
    start,
    state_change_body,
    triaged,
)
from targeting.webhook_guard import guarded_client

A, CT, AD = Role.ANALYST, Role.CT_UNIT, Role.ADMIN
ALERTS_READ = 500  # latest alerts read for the list and its counts


class AssignIn(BaseModel):
    assignee: str | None = Field(default=None, max_length=200)  # None: unassign
    note: str | None = Field(default=None, max_length=4000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class CloseIn(BaseModel):
    disposition: Disposition
    note: str | None = Field(default=None, max_length=4000)


class ActionIn(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


def worked_alerts(store: Store, alerts: list[Alert]) -> list[TriagedAlert]:
    """The latest alert of each key, with the key's triage."""
    latest = latest_per_target(alerts)
    triage = store.triages([a.key for a in latest])
    return [triaged(a, triage.get(a.key)) for a in latest]


def notify_state_change(settings: Settings, subscriptions: SubscriptionStore, alert: TriagedAlert,
                        action: str) -> None:
    """Deliver the state change to every webhook that wants the alert (runs after the answer is sent)."""
    wanting = [s for s in subscriptions.list() if s.wants(alert)]
    if not wanting:
        return
    body = json.dumps(state_change_body(alert, action), sort_keys=True, separators=(",", ":")).encode()
    event_id = f"{alert.id}:{action}:{alert.triaged_at.isoformat() if alert.triaged_at else ''}"
    allowed = parse_allowances(settings.alert_webhook_allowed_targets)
    with guarded_client(allowed, settings.alert_webhook_timeout_s) as client:
        for subscription in wanting:
            post_signed(body, event_id, subscription, client, attempts=settings.alert_retry_attempts,
                        base_delay_s=settings.alert_retry_base_s)


def register(api: APIRouter, gate: Callable[..., dict[str, Any]]) -> None:
    """Add the triage routes to ``api`` with the application's role gate."""

    @api.get("/alerts/counts", **gate(A, CT, AD), response_model=AlertCounts,
             summary="how many alerts per state, severity and port (the latest alert of each target)")
    def alert_counts(request: Request) -> AlertCounts:
        return counts(worked_alerts(store_of(request), store_of(request).alerts(ALERTS_READ)))

    def act(request: Request, background: BackgroundTasks, key: str, action: str, **change: Any) -> TriagedAlert:
        store, principal = store_of(request), principal_of(request)
        keyed = store.alerts_keyed(key)
        if not keyed:
            raise HTTPException(404, f"no alert with key {key!r}")
        alert = latest_per_target(keyed)[0]
        stored = store.triages([key]).get(key)
        now = datetime.now(UTC)
        current = triaged(alert, stored)
        try:
            updated = apply(current, stored or start(alert, now, principal.name), action, now=now,
                            by=principal.name, **change)
        except TriageError as exc:
            raise HTTPException(409, str(exc)) from exc
        store.save_triage(updated)
        result = triaged(alert, updated)
        audit_of(request).record(principal, f"alert.{action}", request.url.path, {
            "key": key, "alert_id": alert.id, "record_id": alert.record_id, "state": result.state,
            "assignee": change.get("assignee"), "disposition": change.get("disposition"),
            "note": change.get("note")}, 1)
        if action != "note":  # notes are no state change
            background.add_task(notify_state_change, request.app.state.settings, request.app.state.subscriptions,
                                result, action)
        return result

    @api.post("/alerts/{key}/acknowledge", **gate(A, CT, AD), response_model=TriagedAlert,
              summary="acknowledge a new alert (someone is on it)")
    def acknowledge(request: Request, background: BackgroundTasks, key: str,
                    body: ActionIn | None = None) -> TriagedAlert:
        return act(request, background, key, "acknowledge", note=body.note if body else None)

    @api.post("/alerts/{key}/assign", **gate(A, CT, AD), response_model=TriagedAlert,
              summary="assign an alert to an analyst (or unassign it)")
    def assign(request: Request, background: BackgroundTasks, key: str, body: AssignIn) -> TriagedAlert:
        return act(request, background, key, "assign", assignee=body.assignee, note=body.note)

    @api.post("/alerts/{key}/notes", **gate(A, CT, AD), response_model=TriagedAlert,
              summary="add a note to an alert")
    def note(request: Request, background: BackgroundTasks, key: str, body: NoteIn) -> TriagedAlert:
        return act(request, background, key, "note", note=body.text)

    @api.post("/alerts/{key}/close", **gate(A, CT, AD), response_model=TriagedAlert,
              summary="close an alert with a disposition: true hit, false positive or not relevant")
    def close(request: Request, background: BackgroundTasks, key: str, body: CloseIn) -> TriagedAlert:
        return act(request, background, key, "close", disposition=body.disposition, note=body.note)

    @api.post("/alerts/{key}/reopen", **gate(AD), response_model=TriagedAlert,
              summary="reopen a closed alert (administrators)")
    def reopen(request: Request, background: BackgroundTasks, key: str,
               body: ActionIn | None = None) -> TriagedAlert:
        return act(request, background, key, "reopen", note=body.note if body else None)
