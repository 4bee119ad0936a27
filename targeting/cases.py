"""Cases: what an analyst gathers on one matter, and what they may do with it.

A case is opened from an alert, a queue pick or an entity, and groups alerts (by key), entities,
screening decisions, evidence links and notes. It has an owner, a state (open, closed) and a legal basis:
the one PNR access cites for it (``X-Sekisho-Purpose: case:<id>`` with ``X-Sekisho-Legal-Basis``).

Who may do what (the API enforces it with ``may``):

==============  ==========================================================
open            analysts, the CT unit, administrators
read, add, note its owner, the CT unit, administrators
close           its owner, administrators
reopen          administrators
export          its owner, the CT unit, administrators (FtM and the report)
==============  ==========================================================

Everything here is pure: the API stores the ``Case`` documents and audits each action.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from schemas.documents import AlertNote, Case, CaseEvidence, CaseOrigin

ItemKind = Literal["alert", "entity", "decision", "evidence"]
CaseAction = Literal["read", "add", "note", "close", "reopen", "export"]
# Roles beside the owner allowed each action (the owner may do all but reopen).
OTHERS_ALLOWED: dict[str, frozenset[str]] = {
    "read": frozenset({"ct_unit", "admin"}),
    "add": frozenset({"ct_unit", "admin"}),
    "note": frozenset({"ct_unit", "admin"}),
    "close": frozenset({"admin"}),
    "reopen": frozenset({"admin"}),
    "export": frozenset({"ct_unit", "admin"}),
}
OWNER_MAY_NOT = frozenset({"reopen"})


class CaseError(ValueError):
    """An action the case's state does not allow (the API answers 409)."""


def may(case: Case, action: CaseAction, key_id: str, role: str) -> bool:
    if case.owner_key_id == key_id and action not in OWNER_MAY_NOT:
        return True
    return role in OTHERS_ALLOWED[action]


def new_case_id(now: datetime) -> str:
    """``2026-1a2b3c4d``: short enough to cite, random so that ids reveal nothing about other cases."""
    return f"{now:%Y}-{secrets.token_hex(4)}"


def open_case(*, title: str, legal_basis: str, opened_from: CaseOrigin, origin_id: str, owner: str,
              owner_key_id: str, now: datetime, alerts: list[str], entities: list[str]) -> Case:
    return Case(id=new_case_id(now), title=title, owner=owner, owner_key_id=owner_key_id, legal_basis=legal_basis,
                opened_from=opened_from, origin_id=origin_id, alerts=alerts, entities=entities, created_at=now,
                updated_at=now, updated_by=owner)


def _open(case: Case, doing: str) -> None:
    if case.state != "open":
        raise CaseError(f"cannot {doing} a closed case (an administrator may reopen it)")


def add_item(case: Case, kind: ItemKind, ref: str, *, by: str, now: datetime, label: str | None = None) -> Case:
    """The case with one more alert, entity, decision or evidence link (adding one twice changes nothing)."""
    _open(case, "add to")
    update: dict[str, object] = {"updated_at": now, "updated_by": by}
    if kind == "evidence":
        if any(e.ref == ref for e in case.evidence):
            return case
        update["evidence"] = [*case.evidence, CaseEvidence(ref=ref, label=label or ref, added_by=by, added_at=now)]
    else:
        field = {"alert": "alerts", "entity": "entities", "decision": "decisions"}[kind]
        items: list[str] = getattr(case, field)
        if ref in items:
            return case
        update[field] = [*items, ref]
    return case.model_copy(update=update)


def add_note(case: Case, text: str, *, by: str, now: datetime) -> Case:
    _open(case, "annotate")
    return case.model_copy(update={"notes": [*case.notes, AlertNote(at=now, author=by, text=text)],
                                   "updated_at": now, "updated_by": by})


def close_case(case: Case, *, by: str, now: datetime, note: str | None = None) -> Case:
    _open(case, "close")
    closed = case.model_copy(update={"state": "closed", "closed_at": now, "closed_by": by, "updated_at": now,
                                     "updated_by": by})
    return closed.model_copy(update={"notes": [*case.notes, AlertNote(at=now, author=by, text=note)]}) if note \
        else closed


def reopen_case(case: Case, *, by: str, now: datetime) -> Case:
    if case.state != "closed":
        raise CaseError("the case is open")
    return case.model_copy(update={"state": "open", "closed_at": None, "closed_by": None, "updated_at": now,
                                   "updated_by": by})
