"""Routes of saved searches: an analyst keeps a search (query and filters) and subscribes to it; each new
record that matches raises an alert (``targeting.saved_searches``), triaged like the others.

A search belongs to the key that saved it: only its owner (or an administrator) sees, changes, runs or
deletes it. Analysts, the CT unit and administrators save searches; enforcement does not search. Every
action is audited; the alerts of a run are delivered to the webhooks after the answer is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from schemas.documents import Alert, SavedSearch
from targeting.api.purpose import pnr_view, with_purpose
from targeting.api.request_state import audit_of, principal_of, store_of
from targeting.api.roles import Role
from targeting.saved_searches import deliver, describe, run_search

A, CT, AD = Role.ANALYST, Role.CT_UNIT, Role.ADMIN
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]


class SavedSearchIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=200)
    kinds: list[Kind] = Field(default_factory=list, max_length=20)
    min_risk: float | None = Field(default=None, ge=0, le=1)
    subscribe: bool = False


class RunOut(BaseModel):
    search: SavedSearch
    alerts: list[Alert]
    matched: int


def _params(search: SavedSearch) -> dict[str, str | None]:
    return {"search_id": search.id, "name": search.name, "query": describe(search)}


def register(api: APIRouter, gate: Callable[..., dict[str, Any]]) -> None:
    """Add the saved-search routes to ``api`` with the application's role gate."""

    def owned(request: Request, search_id: str) -> SavedSearch:
        found = store_of(request).saved_search(search_id)
        principal = principal_of(request)
        # Someone else's search answers as missing: its existence is the owner's business.
        if found is None or (found.owner_key_id != principal.key_id and principal.role is not AD):
            raise HTTPException(404, f"no saved search {search_id!r}")
        return found

    def subscribed(request: Request, search: SavedSearch, on: bool) -> SavedSearch:
        now = datetime.now(UTC)
        # Subscribing starts now: only records that arrive from here on are new.
        update: dict[str, Any] = {"subscribed": on, "updated_at": now}
        if on and not search.subscribed:
            update |= {"subscribed_at": now, "watermark": now}
        changed = search.model_copy(update=update)
        store_of(request).save_search(changed)
        return changed

    @api.get("/searches", **gate(A, CT, AD), response_model=list[SavedSearch],
             summary="the caller's saved searches (an administrator's: everyone's), newest first")
    def list_searches(request: Request) -> list[SavedSearch]:
        principal = principal_of(request)
        return store_of(request).saved_searches(None if principal.role is AD else principal.key_id)

    @api.post("/searches", **gate(A, CT, AD), response_model=SavedSearch, status_code=201,
              summary="save a search (query and filters); `subscribe` alerts on records that match from now on")
    def save(request: Request, body: SavedSearchIn) -> SavedSearch:
        principal, now = principal_of(request), datetime.now(UTC)
        search = SavedSearch(id=f"search-{secrets.token_hex(8)}", name=body.name, query=body.query,
                             kinds=body.kinds, min_risk=body.min_risk, owner=principal.name,
                             owner_key_id=principal.key_id, created_at=now, updated_at=now)
        search = subscribed(request, search, True) if body.subscribe else search
        store_of(request).save_search(search)
        audit_of(request).record(principal, "search.save", request.url.path,
                                 {**_params(search), "subscribed": str(search.subscribed)}, 1)
        return search

    def switch(request: Request, search_id: str, on: bool) -> SavedSearch:
        search = subscribed(request, owned(request, search_id), on)
        action = "search.subscribe" if on else "search.unsubscribe"
        audit_of(request).record(principal_of(request), action, request.url.path, _params(search), 1)
        return search

    @api.post("/searches/{search_id}/subscribe", **gate(A, CT, AD), response_model=SavedSearch,
              summary="turn a saved search into a subscription: new matching records raise alerts")
    def subscribe(request: Request, search_id: str) -> SavedSearch:
        return switch(request, search_id, True)

    @api.post("/searches/{search_id}/unsubscribe", **gate(A, CT, AD), response_model=SavedSearch,
              summary="stop alerting on a saved search (it stays saved)")
    def unsubscribe(request: Request, search_id: str) -> SavedSearch:
        return switch(request, search_id, False)

    @api.post("/searches/{search_id}/run", **gate(A, CT, AD), response_model=RunOut,
              summary="run a subscribed search now: alerts on records that arrived since its watermark")
    def run(request: Request, background: BackgroundTasks, search_id: str) -> RunOut:
        search = owned(request, search_id)
        if not search.subscribed:
            raise HTTPException(409, "subscribe to the search first: only a subscription raises alerts")
        view = pnr_view(request)
        result = run_search(store_of(request), search, datetime.now(UTC))
        audit_of(request).record(principal_of(request), "search.run", request.url.path, with_purpose(view, {
            **_params(search), "alert_ids": ",".join(a.id for a in result.alerts)}), len(result.alerts))
        background.add_task(deliver, result.alerts, request.app.state.subscriptions.list(),
                            request.app.state.settings)
        # The alerts are raised whole (as the worker raises them); the caller sees what its purpose allows.
        return RunOut(search=result.search, alerts=view.alerts(result.alerts), matched=result.matched)

    @api.delete("/searches/{search_id}", **gate(A, CT, AD), status_code=204, summary="delete a saved search")
    def delete(request: Request, search_id: str) -> Response:
        search = owned(request, search_id)
        store_of(request).delete_search(search.id)
        audit_of(request).record(principal_of(request), "search.delete", request.url.path, _params(search), 1)
        return Response(status_code=204)
