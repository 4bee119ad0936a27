"""Webhook SSRF: internal targets refused at subscription time and again when a delivery connects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crawlers.safety import parse_allowances
from sekisho.settings import Settings, get_settings
from targeting.alerts import MemorySubscriptions, deliver, dispatch, new_subscription
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.memory_store import MemoryStore
from targeting.api.roles import Role
from targeting.webhook_guard import guarded_client, subscription_refusal
from tests.unit.test_targeting_alerts import Receiver, the_alert

INTERNAL = [
    "http://127.0.0.1:9250/sekisho-api-audit/_close",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8640/hook",
    "http://10.0.0.5/hook",
    "http://localhost:9250/",
    "http://[::ffff:127.0.0.1]:9250/",
    "http://0.0.0.0:9250/",
    "file:///etc/passwd",
]


def app_client(settings: Settings) -> tuple[TestClient, dict[str, str], MemorySubscriptions]:
    keys = MemoryKeyStore()
    subscriptions = MemorySubscriptions()
    client = TestClient(create_app(MemoryStore(), keys, MemoryRawSink(), subscriptions, settings))
    return client, {"Authorization": f"Bearer {create_key(keys, Role.CT_UNIT, 'ct')}"}, subscriptions


@pytest.mark.parametrize("url", INTERNAL)
def test_subscribing_an_internal_target_is_refused(url: str) -> None:
    """Regression: a ct_unit key subscribed 127.0.0.1:9250, 169.254.169.254 and [::1] webhooks."""
    client, auth, subscriptions = app_client(get_settings())
    response = client.post("/api/subscriptions", json={"url": url}, headers=auth)
    assert response.status_code == 422, response.text
    assert subscriptions.list() == []


def test_an_administrator_allowance_admits_exactly_that_host_and_port() -> None:
    settings = get_settings().model_copy(update={"alert_webhook_allowed_targets": ["127.0.0.1:8765"]})
    client, auth, subscriptions = app_client(settings)
    ok = client.post("/api/subscriptions", json={"url": "http://127.0.0.1:8765/hook"}, headers=auth)
    assert ok.status_code == 201, ok.text
    other_port = client.post("/api/subscriptions", json={"url": "http://127.0.0.1:9250/x"}, headers=auth)
    assert other_port.status_code == 422
    assert [s.url for s in subscriptions.list()] == ["http://127.0.0.1:8765/hook"]
    assert subscription_refusal("https://93.184.216.34/hook", ()) is None


def test_deliveries_to_internal_addresses_are_refused_at_connection_time() -> None:
    """A subscription that slipped past the first check (written to the file, DNS rebinding) never connects."""
    receiver = Receiver()
    try:
        by_name = new_subscription("rebound", receiver.url.replace("127.0.0.1", "localhost"), "k")
        by_address = new_subscription("direct", receiver.url, "k")
        with guarded_client((), timeout=2) as client:
            results = dispatch(the_alert(), [by_name, by_address], client, attempts=1)
        assert [r.delivered for r in results] == [False, False]
        assert all("internal address" in (r.error or "") for r in results)
        assert receiver.calls == []
    finally:
        receiver.close()


def test_an_allowed_receiver_gets_the_delivery_and_other_ports_do_not() -> None:
    receiver = Receiver()
    try:
        port = receiver.url.split("/")[2].rsplit(":", 1)[1]
        allowed = parse_allowances([f"127.0.0.1:{port}"])
        with guarded_client(allowed, timeout=2) as client:
            sent = deliver(the_alert(), new_subscription("ok", receiver.url, "k"), client, attempts=1)
            elsewhere = deliver(the_alert(), new_subscription("es", "http://127.0.0.1:9250/x/_doc", "k"), client,
                                attempts=1)
        assert sent.delivered and len(receiver.calls) == 1
        assert not elsewhere.delivered and "internal address" in (elsewhere.error or "")
    finally:
        receiver.close()


def test_redirects_are_not_followed() -> None:
    with guarded_client((), timeout=2) as client:
        assert client.follow_redirects is False and client.trust_env is False
