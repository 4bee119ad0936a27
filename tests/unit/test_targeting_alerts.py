"""Alerts: when they are raised, deduplication windows, HMAC signatures, retried webhook delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from schemas.documents import Alert
from targeting.alerts import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Deduplicator,
    FileSubscriptions,
    alert_body,
    alert_for,
    deliver,
    dispatch,
    new_subscription,
    sign,
    verify,
)
from targeting.scoring import RuleFired, ScorePart, TargetScore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def scored(score: float, *, alert_rule: bool = False, record_id: str = "passenger-1") -> TargetScore:
    rules = (
        [RuleFired(rule_id="r", title="listed payer", weight=0.5, severity="critical", alert=True)]
        if alert_rule
        else []
    )
    return TargetScore(
        id="t",
        record_id=record_id,
        record_type="passenger",
        label="DMITRI VOLKOV",
        port="NRT",
        score=score,
        parts=[ScorePart(name="graph", value=score, weight=1, contribution=score)],
        rules=rules,
        explanation=["graph: traveller DMITRI VOLKOV ... OFAC SDN"],
    )


def test_threshold_and_alert_rules_raise_alerts() -> None:
    assert alert_for(scored(0.5), threshold=0.7, now=NOW) is None
    high = alert_for(scored(0.75), threshold=0.7, now=NOW)
    assert high is not None and high.severity == "high" and high.key == "passenger:passenger-1"
    assert high.explanation == ["graph: traveller DMITRI VOLKOV ... OFAC SDN"]
    by_rule = alert_for(scored(0.3, alert_rule=True), threshold=0.7, now=NOW)
    assert by_rule is not None and by_rule.severity == "critical"
    assert by_rule.reasons == ["alert rule r: listed payer"]


def test_dedup_window() -> None:
    dedup = Deduplicator(timedelta(hours=24))
    first = alert_for(scored(0.9), now=NOW)
    again = alert_for(scored(0.95), now=NOW + timedelta(hours=2))
    later = alert_for(scored(0.9), now=NOW + timedelta(hours=25))
    other = alert_for(scored(0.9, record_id="passenger-2"), now=NOW + timedelta(hours=1))
    assert first and again and later and other
    assert [dedup.admit(a) for a in (first, again, other, later)] == [True, False, True, True]
    assert first.id != later.id  # a re-alert is a new event


def test_an_escalating_score_alerts_again_inside_the_window() -> None:
    dedup = Deduplicator(timedelta(hours=24), escalation=0.1)
    first = alert_for(scored(0.3, alert_rule=True), now=NOW)
    stronger = alert_for(scored(0.91), now=NOW + timedelta(minutes=5))
    same = alert_for(scored(0.95), now=NOW + timedelta(minutes=6))
    assert first and stronger and same
    assert [dedup.admit(a) for a in (first, stronger, same)] == [True, True, False]


def test_signature_roundtrip() -> None:
    body = b'{"a":1}'
    signature = sign(body, "s3cret")
    assert signature.startswith("sha256=") and verify(body, "s3cret", signature)
    assert not verify(body + b" ", "s3cret", signature)
    assert not verify(body, "other", signature)
    assert not verify(body, "s3cret", None)


class Receiver:
    """A real webhook endpoint on 127.0.0.1 that fails its first ``failures`` calls with ``status``."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.failures = failures
        self.status = status
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.calls.append((dict(self.headers), body))
                code = receiver.status if len(receiver.calls) <= receiver.failures else 204
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=2)
    yield server
    server.close()


def the_alert() -> Alert:
    alert = alert_for(scored(0.93), now=NOW)
    assert alert is not None
    return alert


def test_delivery_is_signed_and_retried_with_backoff(receiver: Receiver) -> None:
    subscription = new_subscription("ct-unit", receiver.url, "s3cret")
    waits: list[float] = []
    with httpx.Client(timeout=5) as client:
        result = deliver(the_alert(), subscription, client, attempts=5, base_delay_s=0.1, sleep=waits.append)
    assert result.delivered and result.attempts == 3 and result.status_code == 204
    assert len(waits) == 2 and 0.1 <= waits[0] < 0.2 and 0.2 <= waits[1] < 0.3
    headers, body = receiver.calls[-1]
    assert verify(body, "s3cret", headers[SIGNATURE_HEADER])
    assert headers[EVENT_HEADER] == the_alert().id
    sent = json.loads(body)
    assert sent["record_id"] == "passenger-1" and sent["explanation"]
    assert body == alert_body(the_alert())


def test_client_errors_are_not_retried() -> None:
    server = Receiver(failures=10, status=400)
    try:
        with httpx.Client(timeout=5) as client:
            result = deliver(
                the_alert(), new_subscription("x", server.url, "k"), client, attempts=5, sleep=lambda _: None
            )
        assert not result.delivered and result.attempts == 1 and result.status_code == 400
    finally:
        server.close()


def test_unreachable_webhook_gives_up_after_attempts() -> None:
    with httpx.Client(timeout=0.5) as client:
        result = deliver(
            the_alert(),
            new_subscription("x", "http://127.0.0.1:9/none", "k"),
            client,
            attempts=3,
            sleep=lambda _: None,
        )
    assert not result.delivered and result.attempts == 3 and result.error


def test_dispatch_only_to_matching_subscriptions(receiver: Receiver) -> None:
    receiver.failures = 0
    wants = new_subscription("all", receiver.url, "a")
    too_high = new_subscription("only-critical", receiver.url, "b", min_score=0.99)
    cargo_only = new_subscription("cargo", receiver.url, "c", record_types=["consignment"])
    with httpx.Client(timeout=5) as client:
        results = dispatch(the_alert(), [wants, too_high, cargo_only], client)
    assert [r.subscription_id for r in results] == [wants.id]


def test_file_subscriptions_persist_privately(tmp_path: Path) -> None:
    store = FileSubscriptions(tmp_path / "subs.json")
    sub = store.add(new_subscription("ct", "http://127.0.0.1:1/x", "secret"))
    assert FileSubscriptions(tmp_path / "subs.json").list() == [sub]
    assert (tmp_path / "subs.json").stat().st_mode & 0o077 == 0
    assert store.remove(sub.id) and store.list() == [] and not store.remove(sub.id)
