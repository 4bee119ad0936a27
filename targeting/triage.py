"""Alert triage: new → acknowledged → closed with a disposition, assignment and notes, per alert key.

One target has one alert key (``targeting.alerts.alert_key``); a new alert of the key replaces the
earlier one in the analysts' list (new evidence), and its triage carries over. When the new alert's
severity band is higher than the band the analyst last acknowledged or closed, the alert is back to
``new`` and marked escalated: ElastAlert2's ``realert`` per ``query_key``, with escalation by band.

Everything here is pure: the API stores the ``AlertTriage`` documents and audits each action.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from schemas.documents import SEVERITY_RANK, Alert, AlertNote, AlertState, AlertTriage, Disposition
from schemas.records import Frozen

TRANSITIONS: dict[str, set[str]] = {
    "acknowledge": {"new"},
    "close": {"new", "acknowledged"},
    "reopen": {"closed"},
}


class TriageError(ValueError):
    """An action the alert's state does not allow (the API answers 409)."""


class TriagedAlert(Alert):
    """An alert as analysts work it: the latest alert of its key with the key's triage."""

    state: AlertState = "new"
    assignee: str | None = None
    disposition: Disposition | None = None
    notes: list[AlertNote] = Field(default_factory=list)
    escalated: bool = False  # re-opened: its severity band rose since it was last handled
    triaged_at: datetime | None = None
    triaged_by: str | None = None


class AlertFilter(Frozen):
    state: AlertState | None = None
    severity: str | None = None
    port: str | None = None
    assignee: str | None = None

    def admits(self, alert: TriagedAlert) -> bool:
        return (
            (self.state is None or alert.state == self.state)
            and (self.severity is None or alert.severity == self.severity)
            and (self.port is None or (alert.port or "").upper() == self.port.upper())
            and (self.assignee is None or alert.assignee == self.assignee)
        )


class AlertCounts(Frozen):
    by_state: dict[str, int]
    by_severity: dict[str, int]
    by_port: dict[str, int]
    escalated: int


def escalated(triage: AlertTriage | None, alert: Alert) -> bool:
    """Whether ``alert`` is in a higher band than the one its key was last handled in."""
    if triage is None or triage.state == "new" or triage.severity_seen is None:
        return False
    return SEVERITY_RANK[alert.severity] > SEVERITY_RANK[triage.severity_seen]


def triaged(alert: Alert, triage: AlertTriage | None) -> TriagedAlert:
    base = alert.model_dump()
    if triage is None:
        return TriagedAlert(**base)
    rising = escalated(triage, alert)
    return TriagedAlert(
        **base,
        state="new" if rising else triage.state,
        assignee=triage.assignee,
        disposition=None if rising else triage.disposition,
        notes=list(triage.notes),
        escalated=rising,
        triaged_at=triage.updated_at,
        triaged_by=triage.updated_by,
    )


def counts(alerts: Sequence[TriagedAlert]) -> AlertCounts:
    return AlertCounts(
        by_state={state: sum(a.state == state for a in alerts) for state in ("new", "acknowledged", "closed")},
        by_severity=dict(Counter(a.severity for a in alerts)),
        by_port=dict(Counter((a.port or "-") for a in alerts)),
        escalated=sum(a.escalated for a in alerts),
    )


def start(alert: Alert, now: datetime, by: str) -> AlertTriage:
    return AlertTriage(id=alert.key, updated_at=now, updated_by=by)


def apply(
    current: TriagedAlert,
    triage: AlertTriage,
    action: str,
    *,
    now: datetime,
    by: str,
    assignee: str | None = None,
    disposition: Disposition | None = None,
    note: str | None = None,
) -> AlertTriage:
    """The triage after ``action`` (acknowledge, assign, note, close, reopen) on the alert shown as ``current``.

    The state checked is the one the analyst sees (an escalated alert is new again)."""
    allowed = TRANSITIONS.get(action)
    if allowed is not None and current.state not in allowed:
        raise TriageError(f"cannot {action} an alert that is {current.state}")
    update: dict[str, object] = {"updated_at": now, "updated_by": by}
    notes = list(triage.notes)
    if note:
        notes.append(AlertNote(at=now, author=by, text=note))
    update["notes"] = notes
    if action == "acknowledge":
        update |= {"state": "acknowledged", "severity_seen": current.severity, "disposition": None}
    elif action == "close":
        if disposition is None:
            raise TriageError("closing an alert needs a disposition: true_hit, false_positive or not_relevant")
        update |= {"state": "closed", "disposition": disposition, "severity_seen": current.severity}
    elif action == "reopen":
        update |= {"state": "new", "disposition": None}
    elif action == "assign":
        update["assignee"] = assignee
    elif action == "note":
        if not note:
            raise TriageError("a note needs text")
    else:
        raise TriageError(f"unknown action {action!r}")
    return triage.model_copy(update=update)


def state_change_body(alert: TriagedAlert, action: str) -> dict[str, object]:
    """What the CT unit's webhook receives when an alert changes state (beside new alerts)."""
    return {
        "event": f"alert.{action}",
        "alert_id": alert.id,
        "key": alert.key,
        "record_id": alert.record_id,
        "title": alert.title,
        "severity": alert.severity,
        "score": alert.score,
        "state": alert.state,
        "assignee": alert.assignee,
        "disposition": alert.disposition,
        "by": alert.triaged_by,
        "at": alert.triaged_at.isoformat() if alert.triaged_at else None,
    }
