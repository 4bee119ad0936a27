"""Re-identification of depersonalised PNR data: requested under a case, approved by a second person.

After six months a PNR record is masked; its original is sealed (``targeting.retention``). Seeing it
again (Directive (EU) 2016/681, art. 12(3)) takes three steps, each audited:

1. a requester names the records, a case reference, a legal basis from the configured list and a
   reason (``POST /api/reidentifications``): the request is ``pending``;
2. a holder of the ``approver`` role who is not the requester (another key and another name) approves
   or rejects it (``POST /api/reidentifications/{id}/decision``); an approval holds for
   ``Settings.reidentification_hours``;
3. while the approval holds, the requester alone reads the sealed originals
   (``GET /api/reidentifications/{id}/records``); every read is audited with the case reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException

from schemas.documents import Reidentification, SealedRecord
from schemas.records import make_id
from targeting.api.keys import Principal
from targeting.api.store import Store

CASE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
MAX_RECORDS = 50  # one case, a handful of travellers: not a bulk export


def new_request(principal: Principal, record_ids: Sequence[str], case_reference: str, legal_basis: str,
                reason: str, legal_bases: Sequence[str], now: datetime | None = None) -> Reidentification:
    ids = list(dict.fromkeys(record_ids))
    if not 0 < len(ids) <= MAX_RECORDS:
        raise HTTPException(422, f"name 1 to {MAX_RECORDS} records")
    if not CASE_REFERENCE.fullmatch(case_reference):
        raise HTTPException(422, "the case reference is missing or malformed")
    if legal_basis not in legal_bases:
        raise HTTPException(422, f"legal basis must be one of: {', '.join(legal_bases)}")
    if len(reason.strip()) < 10:
        raise HTTPException(422, "say why (at least 10 characters)")
    at = now or datetime.now(UTC)
    return Reidentification(
        id=make_id("reidentification", principal.key_id, case_reference, at.isoformat()),
        record_ids=ids, case_reference=case_reference, legal_basis=legal_basis, reason=reason.strip(),
        requested_by=principal.key_id, requested_by_name=principal.name, requested_at=at,
    )


def decide(request: Reidentification, approver: Principal, approve: bool, hours: float,
           now: datetime | None = None) -> Reidentification:
    if request.status != "pending":
        raise HTTPException(409, f"request already {request.status}")
    if approver.key_id == request.requested_by or approver.name == request.requested_by_name:
        raise HTTPException(403, "a request must be decided by a second person, not its requester")
    at = now or datetime.now(UTC)
    return request.model_copy(update={
        "status": "approved" if approve else "rejected", "decided_by": approver.key_id, "decided_at": at,
        "expires_at": at + timedelta(hours=hours) if approve else None,
    })


def sealed_records(store: Store, request: Reidentification, reader: Principal,
                   now: datetime | None = None) -> list[SealedRecord]:
    """The originals, for the requester of an approved request that has not expired."""
    if reader.key_id != request.requested_by:
        raise HTTPException(403, "only the requester reads under a re-identification")
    at = now or datetime.now(UTC)
    if request.status != "approved" or request.expires_at is None or at >= request.expires_at:
        raise HTTPException(403, f"request is {request.status}" + (" and expired" if request.expires_at else ""))
    return store.sealed(request.record_ids)
