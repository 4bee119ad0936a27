"""Alerts for counter-terrorism units: raised from targeting scores, deduplicated, published, delivered.

- ``alert_for(score)`` decides (pure): the score is over the threshold, or a rule marked ``alert`` fired.
- ``Deduplicator`` lets a key (the record's type and id) alert once per re-alert window.
- ``publish`` writes the alert to the ``alerts`` Kafka topic (through ``sekisho.kafka_io``).
- ``deliver`` POSTs it to each matching webhook subscription: JSON body, ``X-Sekisho-Signature:
  sha256=<HMAC-SHA256 of the body with the subscription's secret>``, retried with exponential back-off
  on network errors, 408/429 and 5xx answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import Field

from schemas.documents import SEVERITY_RANK, Alert, Severity
from schemas.records import Frozen, make_id
from sekisho.settings import Settings
from targeting.scoring import TargetScore

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sekisho-Signature"
EVENT_HEADER = "X-Sekisho-Alert-Id"


def alert_key(score: TargetScore) -> str:
    """One key per target: its canonical entity when resolved (all its feeds' records alert as one)."""
    target = score.target_key.removeprefix("entity:") if score.target_key.startswith("entity:") else score.record_id
    return f"{score.record_type}:{target}"


def alert_for(
    score: TargetScore,
    threshold: float = 0.7,
    now: datetime | None = None,
    received_at: datetime | None = None,
) -> Alert | None:
    """The alert a score raises, or None."""
    reasons: list[str] = []
    if score.score >= threshold:
        reasons.append(f"targeting score {score.score:.2f} >= {threshold:.2f}")
    for rule in score.alert_rules:
        reasons.append(f"alert rule {rule.rule_id}: {rule.title}")
    if not reasons:
        return None
    severity: Severity = "high"
    if score.score >= 0.9 or any(rule.severity == "critical" for rule in score.alert_rules):
        severity = "critical"
    elif score.score < threshold:
        severity = "medium"
    created = now or datetime.now(UTC)
    key = alert_key(score)
    kind = "traveller" if score.record_type == "passenger" else score.record_type
    return Alert(
        id=make_id("alert", key, created.isoformat()),
        key=key,
        record_id=score.record_id,
        record_type=score.record_type,
        label=score.label,
        score=score.score,
        severity=severity,
        title=f"{severity} {kind} {score.label}" + (f" arriving {score.port}" if score.port else ""),
        reasons=reasons,
        explanation=list(score.explanation),
        graph_path=list(score.graph_path),
        evidence=list(score.evidence),
        port=score.port,
        created_at=created,
        source_received_at=received_at,
    )


SentEntry = tuple[datetime, float, str]  # when the key last alerted, with what score and severity


class Deduplicator:
    """Admits an alert key once per window, and again inside it only when it escalates: its score rose by
    ``escalation`` or its severity band rose (medium → high → critical).

    Thread-safe. In the stream, each member of the alert desk's group holds the entries of the targets
    its partitions own (``targeting.alert_desk``), read back from the compacted state topic.
    """

    def __init__(
        self,
        window: timedelta,
        escalation: float = 0.1,
        last_sent: dict[str, SentEntry] | None = None,
    ) -> None:
        self.window = window
        self.escalation = escalation
        self._last = dict(last_sent or {})
        self._lock = threading.Lock()

    def remember(self, alert: Alert) -> None:
        """Record an alert sent before (e.g. by a previous run of the worker)."""
        with self._lock:
            last = self._last.get(alert.key)
            if last is None or alert.created_at >= last[0]:
                self._last[alert.key] = (alert.created_at, alert.score, alert.severity)

    def entry(self, key: str) -> SentEntry | None:
        """What was last sent for ``key``: (when, score, severity)."""
        with self._lock:
            return self._last.get(key)

    def restore(self, key: str, entry: SentEntry | None) -> None:
        """Put back an entry taken with ``entry`` (a decision that was not committed is undone)."""
        with self._lock:
            if entry is None:
                self._last.pop(key, None)
            else:
                self._last[key] = entry

    def entries(self) -> dict[str, SentEntry]:
        """A copy of every entry held: key → what was last sent."""
        with self._lock:
            return dict(self._last)

    def forget(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._last.pop(key, None)

    def admit(self, alert: Alert) -> bool:
        with self._lock:
            last = self._last.get(alert.key)
            if last is not None:
                sent_at, score, severity = last
                higher_band = SEVERITY_RANK[alert.severity] > SEVERITY_RANK.get(severity, 0)
                if (alert.created_at - sent_at < self.window and alert.score < score + self.escalation
                        and not higher_band):
                    return False
            self._last[alert.key] = (alert.created_at, alert.score, alert.severity)
            return True


# ---------------------------------------------------------------------------------------------
# Webhook subscriptions


class Subscription(Frozen):
    id: str
    name: str
    url: str
    secret: str  # shared HMAC key; the receiver verifies the signature with it
    min_score: float = 0.0
    record_types: list[str] = Field(default_factory=list)  # empty: all
    active: bool = True

    def wants(self, alert: Alert) -> bool:
        return (
            self.active
            and alert.score >= self.min_score
            and (not self.record_types or alert.record_type in self.record_types)
        )


def new_subscription(
    name: str, url: str, secret: str, *, min_score: float = 0.0, record_types: Sequence[str] = ()
) -> Subscription:
    return Subscription(
        id=make_id("subscription", name, url),
        name=name,
        url=url,
        secret=secret,
        min_score=min_score,
        record_types=list(record_types),
    )


class SubscriptionStore(Protocol):
    def list(self) -> list[Subscription]: ...

    def add(self, subscription: Subscription) -> Subscription: ...

    def remove(self, subscription_id: str) -> bool: ...


class MemorySubscriptions:
    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._items = {s.id: s for s in subscriptions}

    def list(self) -> list[Subscription]:
        return list(self._items.values())

    def add(self, subscription: Subscription) -> Subscription:
        self._items[subscription.id] = subscription
        return subscription

    def remove(self, subscription_id: str) -> bool:
        return self._items.pop(subscription_id, None) is not None


class FileSubscriptions:
    """Subscriptions in a JSON file (mode 0600: it holds the signing secrets), re-read on each ``list``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Subscription]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8") or "[]")
        return {item["id"]: Subscription.model_validate(item) for item in data}

    def _write(self, items: dict[str, Subscription]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps([s.model_dump(mode="json") for s in items.values()], indent=2))
        temporary.chmod(0o600)
        temporary.replace(self.path)

    def list(self) -> list[Subscription]:
        return list(self._read().values())

    def add(self, subscription: Subscription) -> Subscription:
        with self._lock:
            items = self._read()
            items[subscription.id] = subscription
            self._write(items)
        return subscription

    def remove(self, subscription_id: str) -> bool:
        with self._lock:
            items = self._read()
            found = items.pop(subscription_id, None) is not None
            self._write(items)
        return found


# ---------------------------------------------------------------------------------------------
# Delivery


def alert_body(alert: Alert) -> bytes:
    return json.dumps(alert.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """For receivers (and tests): constant-time check of ``X-Sekisho-Signature``."""
    return signature is not None and hmac.compare_digest(sign(body, secret), signature)


@dataclass(frozen=True)
class Delivery:
    subscription_id: str
    alert_id: str
    delivered: bool
    attempts: int
    status_code: int | None
    error: str | None = None


def _retryable(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def deliver(alert: Alert, subscription: Subscription, client: httpx.Client, **retry: Any) -> Delivery:
    """POST the signed alert to one webhook, retrying with capped exponential back-off and jitter
    (``retry``: the keyword arguments of ``post_signed``)."""
    return post_signed(alert_body(alert), alert.id, subscription, client, **retry)


def post_signed(
    body: bytes,
    event_id: str,
    subscription: Subscription,
    client: httpx.Client,
    *,
    attempts: int = 5,
    base_delay_s: float = 0.5,
    max_delay_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST a signed JSON body (an alert, or an alert's state change) to one webhook, with retries."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, subscription.secret),
        EVENT_HEADER: event_id,
    }
    status: int | None = None
    error: str | None = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            response = client.post(subscription.url, content=body, headers=headers)
            status = response.status_code
            if status < 300:
                return Delivery(subscription.id, event_id, True, attempt, status)
            error = f"HTTP {status}"
            if not _retryable(status):
                break
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        if attempt < attempts:
            delay = min(max_delay_s, base_delay_s * 2 ** (attempt - 1))
            sleep(delay + random.uniform(0, delay / 4))
    log.warning("event %s not delivered to %s: %s", event_id, subscription.url, error)
    return Delivery(subscription.id, event_id, False, attempt, status, error)


def dispatch(
    alert: Alert,
    subscriptions: Iterable[Subscription],
    client: httpx.Client,
    *,
    attempts: int = 5,
    base_delay_s: float = 0.5,
) -> list[Delivery]:
    """Deliver to every subscription that wants the alert."""
    return [
        deliver(alert, sub, client, attempts=attempts, base_delay_s=base_delay_s)
        for sub in subscriptions
        if sub.wants(alert)
    ]


def publish(alerts: Sequence[Alert], settings: Settings, client: Any = None, topic: str | None = None) -> int:
    """Put alerts on the alerts topic (or ``topic``) keyed by their dedup key (so one key stays in one
    partition).

    ``client`` is a producer from ``kafka_io.producer`` a long-running caller keeps open.
    """
    from sekisho import kafka_io

    s = settings
    messages = [
        kafka_io.RawMessage(payload=alert_body(a), source="targeting", format_hint="alert", key=a.key) for a in alerts
    ]
    return kafka_io.produce_raw(messages, topic=topic or s.topic("alerts"), settings=s, client=client)
