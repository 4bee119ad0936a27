"""The audit trail: who searched, viewed or exported what, and when. Written before the answer leaves."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from schemas.documents import AuditEvent
from targeting.api.keys import Principal
from targeting.api.store import Store


def audit_event(
    principal: Principal,
    action: str,
    path: str,
    params: dict[str, str | None],
    result_count: int | None = None,
) -> AuditEvent:
    at = datetime.now(UTC)
    return AuditEvent(
        id=f"audit-{at.strftime('%Y%m%d%H%M%S%f')}-{secrets.token_hex(4)}",
        at=at,
        key_id=principal.key_id,
        role=principal.role.value,
        action=action,
        path=path,
        params={k: v for k, v in params.items() if v is not None},
        result_count=result_count,
    )


def record(
    store: Store,
    principal: Principal,
    action: str,
    path: str,
    params: dict[str, str | None],
    result_count: int | None = None,
) -> AuditEvent:
    event = audit_event(principal, action, path, params, result_count)
    store.audit(event)
    return event
