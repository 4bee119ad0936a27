"""What a request's route reads from the application and the request: the store, the caller, the audit
trail (one place, for app.py and the route modules registered beside it)."""

from __future__ import annotations

from fastapi import Request

from targeting.api.audit import AuditTrail
from targeting.api.keys import Principal
from targeting.api.store import Store


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def audit_of(request: Request) -> AuditTrail:
    trail: AuditTrail = request.app.state.audit
    return trail


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store
