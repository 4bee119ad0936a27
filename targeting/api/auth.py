"""Authentication (API key in ``Authorization: Bearer`` or ``X-API-Key``) and per-route role gates.

Every protected route declares ``dependencies=[Depends(RoleGate(...))]``; the gate's ``roles`` are what
the route table test and the OpenAPI description read, so the declaration is the single truth. Every
refusal (401, 403) is written to the audit trail with the claimed key id.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from targeting.api.audit import AuditTrail
from targeting.api.keys import KeyVerifier, Principal, split_key
from targeting.api.roles import Role

bearer_scheme = HTTPBearer(auto_error=False, description="an API key created by `sekisho serve --create-key ROLE`")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def presented_key(bearer: HTTPAuthorizationCredentials | None, header_key: str | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return header_key or None


class RoleGate:
    """A FastAPI dependency admitting only callers whose key has one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"RoleGate({', '.join(sorted(r.value for r in self.roles))})"

    def __call__(
        self,
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
        header_key: str | None = Security(header_scheme),
    ) -> Principal:
        plain = presented_key(bearer, header_key)
        if plain is None:
            refused(request, None, "auth.missing", None)
            raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
        verifier: KeyVerifier = request.app.state.verifier
        principal = verifier.verify(plain)
        if principal is None:
            claimed = split_key(plain)
            refused(request, None, "auth.denied", claimed[0][:32] if claimed else None)
            raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        if principal.role not in self.roles:
            refused(request, principal, "auth.forbidden", principal.key_id)
            raise HTTPException(403, f"role {principal.role.value!r} may not use this route")
        request.state.principal = principal
        return principal


def refused(request: Request, principal: Principal | None, action: str, key_id: str | None) -> None:
    """Audit a 401 or 403 (the claimed key id only, never the key)."""
    trail: AuditTrail = request.app.state.audit
    trail.record(principal, action, request.url.path, {"method": request.method, "key_id": key_id})
