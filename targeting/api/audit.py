"""The audit trail: who searched, viewed, exported, was refused or created a key, and when.

Written before the answer leaves, as a hash chain: each entry carries its position (``seq``), the
previous entry's hash and its own hash (SHA-256 over its canonical JSON, ``prev_hash`` included), so
an entry edited or deleted in the index breaks the chain. The chain head (``seq`` and ``hash`` of the
newest entry) is anchored outside the audit index, in a file under ``SEKISHO_HOME`` written after every
entry: deleting the newest entries (which leaves a shorter but intact chain) shows as a head that no
longer matches. ``verify_chain`` (``sekisho audit verify``) checks both. No API route writes or deletes
audit entries; only the trail itself appends.

One process appends to a namespace's chain (``sekisho serve``); on start it continues from the newest
stored entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from schemas.documents import AuditEvent
from targeting.api.keys import Principal
from targeting.api.store import Store

log = logging.getLogger(__name__)
GENESIS = "0" * 64


def entry_hash(event: AuditEvent) -> str:
    """SHA-256 over the entry's canonical JSON without its own hash (``prev_hash`` and ``seq`` included)."""
    body = event.model_dump(mode="json", exclude={"hash"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def read_anchor(path: Path) -> Head | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Head(int(data["seq"]), str(data["hash"]))


def write_anchor(path: Path, head: Head) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"seq": head.seq, "hash": head.hash, "at": datetime.now(UTC).isoformat()}),
                         encoding="utf-8")
    os.chmod(temporary, 0o600)
    temporary.replace(path)


class AuditTrail:
    """Appends chained entries to a ``Store`` and anchors the head in ``anchor`` (None: memory only)."""

    def __init__(self, store: Store, anchor: Path | None = None) -> None:
        self.store = store
        self.anchor = anchor
        self._lock = threading.Lock()
        newest = store.audit_events(1)
        self.head = Head(newest[0].seq, newest[0].hash) if newest and newest[0].hash else Head(0, GENESIS)
        anchored = read_anchor(anchor) if anchor is not None else None
        if anchored is not None and anchored != self.head:
            log.error("audit trail head %s does not match its anchor %s: run `sekisho audit verify`",
                      self.head, anchored)

    def record(
        self,
        principal: Principal | None,
        action: str,
        path: str,
        params: dict[str, str | None],
        result_count: int | None = None,
    ) -> AuditEvent:
        at = datetime.now(UTC)
        with self._lock:
            event = AuditEvent(
                id=f"audit-{at.strftime('%Y%m%d%H%M%S%f')}-{secrets.token_hex(4)}",
                at=at,
                key_id=principal.key_id if principal else params.get("key_id") or "-",
                role=principal.role.value if principal else "-",
                action=action,
                path=path,
                params={k: v for k, v in params.items() if v is not None},
                result_count=result_count,
                seq=self.head.seq + 1,
                prev_hash=self.head.hash,
            )
            event = event.model_copy(update={"hash": entry_hash(event)})
            self.store.audit(event)
            self.head = Head(event.seq, event.hash)
            if self.anchor is not None:
                write_anchor(self.anchor, self.head)
        return event


@dataclass
class Verification:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(events: Iterable[AuditEvent], anchor: Head | None) -> Verification:
    """Check every entry's hash, the links between them and the anchored head."""
    result = Verification()
    previous = Head(0, GENESIS)
    stored: dict[int, str] = {}
    for event in sorted(events, key=lambda e: e.seq):
        result.entries += 1
        stored[event.seq] = event.hash
        if event.seq != previous.seq + 1:
            result.problems.append(f"entries {previous.seq + 1}..{event.seq - 1} are missing")
        elif event.prev_hash != previous.hash:
            result.problems.append(f"entry {event.seq} ({event.id}) does not follow entry {previous.seq}")
        if entry_hash(event) != event.hash:
            result.problems.append(f"entry {event.seq} ({event.id}) was changed after it was written")
        previous = Head(event.seq, event.hash)
    if anchor is None:
        result.problems.append("no anchored head to compare with")
    elif anchor.seq > previous.seq:
        result.problems.append(f"entries {previous.seq + 1}..{anchor.seq} (the newest, anchored) are missing")
    elif stored.get(anchor.seq) != anchor.hash:
        result.problems.append(f"entry {anchor.seq} is not the one anchored")
    elif previous.seq > anchor.seq:  # the trail anchors every entry: these were written by someone else
        result.problems.append(f"entries {anchor.seq + 1}..{previous.seq} were added outside the audit trail")
    return result
