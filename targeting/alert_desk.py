"""The alert desk: one alert per target across every targeting worker, with its state in Kafka.

Workers put the alerts they raise on ``alert-candidates`` keyed by target, so one partition, and so one
member of the desk's consumer group, owns a target. What was last sent per target is kept on the compacted
``alert-state`` topic, partitioned the same way (same key, same partition count): a member reads the state
of the partitions it is assigned back before it decides anything on them. Each batch's alerts, the targets'
new state and the candidates' offsets are written in one Kafka transaction, so a member killed at any point
leaves all of them or none, and the next owner decides again from the same state: no alert twice, none lost.

A deployment upgraded from a version without the state topic has alerts in the index but no state: the
desk is given what the alert index holds within the re-alert window (``seed``) and puts it under the state
topic's entries, so a target alerted just before the upgrade is not alerted again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from schemas.documents import Alert
from sekisho import kafka_io
from sekisho.settings import Settings
from targeting.alerts import Deduplicator, SentEntry, alert_body

log = logging.getLogger(__name__)

CANDIDATES = "alert-candidates"
STATE = "alert-state"


def state_body(alert: Alert) -> bytes:
    return json.dumps({"alert_id": alert.id, "sent_at": alert.created_at.isoformat(), "score": alert.score,
                       "severity": alert.severity}, sort_keys=True).encode()


def state_entry(value: bytes) -> SentEntry:
    """The de-duplication entry a state message holds; ValueError when it is not one."""
    try:
        doc = json.loads(value)
        return datetime.fromisoformat(doc["sent_at"]), float(doc["score"]), str(doc["severity"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an alert state: {exc}") from exc


@dataclass
class Decisions:
    alerts: list[Alert] = field(default_factory=list)  # sent: on the alerts topic, state written
    suppressed: list[Alert] = field(default_factory=list)  # the target alerted within the window already
    rejected: list[str] = field(default_factory=list)  # candidates that were not alerts (reported, skipped)


class AlertDesk:
    """A member of the desk's consumer group (``<group_id>.decide``)."""

    def __init__(self, settings: Settings, *, group_id: str, transaction_timeout_ms: int,
                 escalation: float = 0.1, seed: Mapping[str, SentEntry] | None = None) -> None:
        s = settings
        self.settings = s
        self.dedup = Deduplicator(timedelta(hours=s.alert_realert_hours), escalation)
        self._keys: dict[int, set[str]] = {}  # per owned partition, the targets whose state is held
        self._unready: set[int] = set()  # assigned partitions whose state is not read yet
        self._check_partitioning()
        # What the alert index held at start (targets alerted before the state topic existed), by the
        # partition each target lives in; the state topic's own entries, always at least as recent, replace
        # these when a partition is assigned.
        self._seed: dict[int, dict[str, SentEntry]] = {}
        for key, entry in (seed or {}).items():
            self._seed.setdefault(kafka_io.partition_of(key, self._partitions), {})[key] = entry
        self.member = kafka_io.GroupMember(
            s.topic(CANDIDATES), settings=s, group_id=f"{group_id}.decide", from_beginning=True,
            on_assigned=self._assigned, on_revoked=self.forget,
        )
        self._transaction_id = f"{group_id}.decide"
        self._transaction_timeout_ms = transaction_timeout_ms
        self.transactions = self._new_transactions()

    def _new_transactions(self) -> kafka_io.Transactions:
        return kafka_io.Transactions(self.settings, f"{self._transaction_id}.{uuid.uuid4().hex}",
                                     self._transaction_timeout_ms)

    def _check_partitioning(self) -> None:
        s = self.settings
        counts = {name: len(kafka_io.end_offsets(s.topic(name), s)) for name in (CANDIDATES, STATE)}
        if counts[CANDIDATES] != counts[STATE]:
            raise RuntimeError(f"{s.topic(CANDIDATES)} has {counts[CANDIDATES]} partitions and {s.topic(STATE)} "
                               f"{counts[STATE]}: a target's state would live in another member's partition")
        self._partitions = counts[STATE]

    def _assigned(self, partitions: list[int]) -> None:
        # Runs on the consumer's network thread, where no blocking Kafka call belongs: only note the
        # partitions; ``decide`` reads their state back before deciding on them.
        self._unready.update(partitions)

    def rebuild(self, partitions: list[int]) -> None:
        """Read the state of newly assigned partitions back (after any open transaction on them has ended)."""
        self.forget(partitions)
        seeded = 0
        for partition in partitions:
            for key, entry in self._seed.get(partition, {}).items():
                self.dedup.restore(key, entry)
                self._keys.setdefault(partition, set()).add(key)
                seeded += 1
        for message in kafka_io.read_to_end(self.settings.topic(STATE), partitions, settings=self.settings):
            key = (message.key or b"").decode()
            try:
                entry = state_entry(message.value)
            except ValueError as exc:
                log.warning("alert state of %r at %s/%d skipped: %s", key, message.partition, message.offset, exc)
                continue
            self.dedup.restore(key, entry)
            self._keys.setdefault(message.partition, set()).add(key)
        for partition in partitions:
            self._keys.setdefault(partition, set())
        log.info("alert desk owns partitions %s (%d targets' state, %d of them from the alert index)",
                 sorted(self._keys), sum(len(k) for k in self._keys.values()), seeded)

    def forget(self, partitions: list[int]) -> None:
        self._unready.difference_update(partitions)
        for partition in partitions:
            self.dedup.forget(self._keys.pop(partition, set()))

    def decide(self, timeout_ms: int = 20) -> Decisions:
        """Decide one polled batch of candidates and commit the outcome atomically."""
        batch = self.member.poll(timeout_ms)
        decisions = Decisions()
        if not batch:
            return decisions
        if self._unready:  # never decide on a partition without its state: read it first, or wait
            unready = sorted(self._unready)
            try:
                self.rebuild(unready)
            except Exception as exc:
                log.warning("alert state of partitions %s not read yet, their candidates wait: %s", unready, exc)
                self._unready.update(unready)
                self.member.rewind(batch)
                return decisions
        before: dict[str, SentEntry | None] = {}
        for message in batch:
            try:
                alert = Alert.model_validate_json(message.value)
            except ValidationError as exc:
                decisions.rejected.append(f"candidate at {message.partition}/{message.offset}: {exc.errors()[:1]}")
                continue
            before.setdefault(alert.key, self.dedup.entry(alert.key))
            (decisions.alerts if self.dedup.admit(alert) else decisions.suppressed).append(alert)
            self._keys.setdefault(message.partition, set()).add(alert.key)
        try:
            self.transactions.send(self._messages(decisions.alerts), batch, self.member)
        except Exception as exc:  # nothing of the batch was committed: undo, and decide it again
            log.warning("alert decisions not committed, batch read again: %s", exc)
            for key, entry in before.items():
                self.dedup.restore(key, entry)
            self.member.rewind(batch)
            # A producer whose transaction timed out, or that was fenced, cannot go on: start a fresh one.
            with contextlib.suppress(Exception):
                self.transactions.close()
            self.transactions = self._new_transactions()
            return Decisions()
        for reason in decisions.rejected:
            log.warning("alert candidate skipped: %s", reason)
        return decisions

    def _messages(self, alerts: Sequence[Alert]) -> list[tuple[str, str, bytes]]:
        s = self.settings
        return [message for alert in alerts
                for message in ((s.topic("alerts"), alert.key, alert_body(alert)),
                                (s.topic(STATE), alert.key, state_body(alert)))]

    def close(self) -> None:
        self.member.close()
        self.transactions.close()
