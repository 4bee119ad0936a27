"""Records entering Kafka become signed alerts at a webhook, on the alerts topic and in the index, once."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph.model import Node
from graph.store import EsGraphStore
from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
from schemas.records import Record
from sekisho import es_io, kafka_io
from sekisho.settings import Settings
from targeting.alerts import SIGNATURE_HEADER, FileSubscriptions, new_subscription, verify
from targeting.worker import BatchResult, TargetingWorker, run
from tests.unit.test_targeting_alerts import Receiver
from tests.unit.test_targeting_planted import bystanders, planted_records

pytestmark = pytest.mark.integration


@pytest.fixture
def private(stack: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A namespace of this test's own inside the session's (cleaned up with it)."""
    settings = stack.model_copy(
        update={
            "namespace": f"{stack.namespace}-alerts{uuid.uuid4().hex[:4]}",
            "alert_subscriptions_file": tmp_path / "subscriptions.json",
            "feedback_dir": tmp_path / "feedback",
        }
    )
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], settings)
    yield settings
    es_io.delete_namespace(settings)
    kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)


def _wait(condition: Callable[[], bool], timeout_s: float = 240.0) -> bool:
    # A bound on waiting for the worker, not a speed figure: its first name comparison loads the name data,
    # which takes a minute or more on a busy 2-core machine.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _start(settings: Settings, worker: TargetingWorker) -> tuple[list[BatchResult], threading.Event, threading.Thread]:
    """The worker's consumer loop on a thread of its own, from the beginning of the records topic."""
    batches: list[BatchResult] = []
    stop = threading.Event()
    group_id = f"it-{uuid.uuid4().hex[:6]}"
    thread = threading.Thread(
        target=run,
        name=group_id,  # named by its consumer group, for the diagnostics of a failure
        kwargs={
            "settings": settings,
            "worker": worker,
            "group_id": group_id,
            "from_beginning": True,
            "stop": stop,
            "on_batch": batches.append,
        },
        daemon=True,
    )
    thread.start()
    return batches, stop, thread


def _stuck(settings: Settings, batches: list[BatchResult], thread: threading.Thread) -> str:
    """Where the stream stopped: what each topic holds, what the worker handed on, and where it waits."""
    import sys
    import traceback

    from kafka import KafkaConsumer, TopicPartition

    from targeting.alert_desk import CANDIDATES

    topics = {name: sum(kafka_io.end_offsets(settings.topic(name), settings).values())
              for name in ("records", CANDIDATES, "alerts")}
    committed = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, isolation_level="read_committed")
    alerts = settings.topic("alerts")
    stable = committed.end_offsets([TopicPartition(alerts, p) for p in committed.partitions_for_topic(alerts)])
    committed.close()
    topics["alerts (stable)"] = sum(stable.values())
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    groups = [thread.name, f"{thread.name}.decide", f"{thread.name}.deliver"]
    offsets = {group: {f"{tp.topic.rsplit('.', 1)[-1]}/{tp.partition}": o.offset for tp, o in found.items()}
               for group, found in admin.list_group_offsets(groups).items()}
    admin.close()
    rounds = [(len(b.scores), len(b.alerts), len(b.suppressed), len(b.deliveries), len(b.rejected)) for b in batches]
    frame = sys._current_frames().get(thread.ident or -1)
    where = "".join(traceback.format_stack(frame)) if frame is not None else "worker thread ended"
    return (f"no alert delivered; batches: {len(batches)}, scores: {sum(len(b.scores) for b in batches)}, "
            f"messages per topic: {topics}; committed: {offsets}; rounds (scores, alerts, suppressed, "
            f"deliveries, rejected): {rounds}; worker at:\n{where}")


def _produce(settings: Settings, records: list[Record]) -> None:
    kafka_io.produce_json(settings.topic("records"), [(r.id, r.model_dump(mode="json")) for r in records], settings)


def allowing(settings: Settings, receiver: Receiver) -> Settings:
    """The receiver runs on loopback: an administrator's allowance for its exact host and port."""
    return settings.model_copy(update={"alert_webhook_allowed_targets": [receiver.url.split("/")[2]]})


def test_planted_traveller_alerts_once_at_the_webhook(private: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sekisho.kafka_io")  # the members' assignments, shown on failure
    receiver = Receiver(failures=1)  # the first delivery fails: the retry must get it through
    subscriptions = FileSubscriptions(private.alert_subscriptions_file)
    subscriptions.add(new_subscription("ct-unit", receiver.url, "s3cret"))
    planted = planted_records()
    context = [r for k, r in planted.items() if k not in ("p-volkov", "p-chen", "consignment")]
    targets = [planted["p-volkov"], planted["p-chen"], planted["consignment"], *bystanders()]
    # What the ingest job would already have indexed: the booking, legs and parties the worker looks up.
    es_io.write_records([*context, *targets], private)
    es_io.refresh(private)

    worker = TargetingWorker(allowing(private, receiver), subscriptions=subscriptions)
    worker.settings = private.model_copy(update={"alert_retry_base_s": 0.05})
    batches, stop, thread = _start(private, worker)
    try:
        _produce(private, context)
        booking = planted["booking"].id
        store = EsGraphStore(private)
        assert _wait(
            lambda: (store.node(booking) or Node(id="-", kind="booking", label="-")).label == "booking QX7P2M"
        ), "the context records were not linked"
        _produce(private, targets)
        volkov = planted["p-volkov"].id

        def delivered(record_id: str) -> list[tuple[dict[str, str], bytes]]:
            """The calls that got through for a record: every call but the first, which the receiver fails."""
            return [(h, b) for h, b in receiver.calls[1:] if json.loads(b)["record_id"] == record_id]

        # Which alert meets the failure depends on the order the booking's travellers are scored in (the
        # booking re-scores Volkov and Chen, already indexed, before their own records arrive).
        assert _wait(lambda: len(delivered(volkov)) >= 1), _stuck(private, batches, thread)
        failed = json.loads(receiver.calls[0][1])["record_id"]
        assert _wait(lambda: len(delivered(failed)) >= 1), "the failed first delivery was not retried"
        headers, body = delivered(volkov)[-1]
        assert verify(body, "s3cret", headers[SIGNATURE_HEADER])
        alert = json.loads(body)
        assert alert["severity"] == "critical"
        assert any("OFAC SDN" in line and "KOREA MINING" in line for line in alert["explanation"]), alert
        assert _wait(lambda: sum(len(b.scores) for b in batches) >= len(targets))

        # The stages run on threads of their own: a record's score is reported before its alert is decided.
        def alerted() -> set[str]:
            return {a.record_id for b in batches for a in b.alerts}

        assert _wait(lambda: planted["consignment"].id in alerted()), alerted()
        assert not alerted() & {r.id for r in bystanders()}

        # The same record again inside the re-alert window: scored, not re-sent.
        seen = sum(len(b.scores) for b in batches)
        _produce(private, [planted["p-volkov"]])
        assert _wait(lambda: sum(len(b.scores) for b in batches) > seen)
        assert _wait(lambda: any(a.record_id == volkov for b in batches for a in b.suppressed))
        assert len(delivered(volkov)) == 1  # delivered once, not re-sent
    finally:
        stop.set()
        thread.join(timeout=30)
        receiver.close()
        worker.close()

    on_topic = [
        json.loads(m.value) for m in kafka_io.consume(private.topic("alerts"), settings=private, idle_timeout_s=3)
    ]
    assert [a["record_id"] for a in on_topic].count(volkov) == 1
    es_io.refresh(private)
    assert es_io.count(ALERT_TYPE, private, {"term": {"record_id": volkov}}) == 1


def test_a_booking_arriving_after_its_traveller_escalates_the_alert(private: Settings) -> None:
    """Kafka partitions do not keep order across keys: later evidence must re-target earlier records."""
    receiver = Receiver()
    subscriptions = FileSubscriptions(private.alert_subscriptions_file)
    subscriptions.add(new_subscription("ct-unit", receiver.url, "k"))
    planted = planted_records()
    traveller, booking = planted["p-volkov"], planted["booking"]
    es_io.write_records([r for k, r in planted.items() if k != "booking"], private)
    es_io.refresh(private)
    worker = TargetingWorker(allowing(private, receiver), subscriptions=subscriptions)
    batches, stop, thread = _start(private, worker)
    try:
        _produce(private, [traveller])
        assert _wait(lambda: any(s.record_id == traveller.id for b in batches for s in b.scores))
        first = next(s for b in batches for s in b.scores if s.record_id == traveller.id)
        assert first.part("graph").value == 0.0  # nothing known yet about who paid
        es_io.write_records([booking], private)
        es_io.refresh(private)
        _produce(private, [booking])

        def escalated() -> bool:
            return any(
                a.record_id == traveller.id and any("OFAC SDN" in line for line in a.explanation)
                for b in batches
                for a in b.alerts
            )

        assert _wait(escalated), "the traveller was not re-targeted when the booking arrived"
        assert _wait(lambda: any("OFAC SDN" in json.loads(body)["explanation"][0] for _, body in receiver.calls))
    finally:
        stop.set()
        thread.join(timeout=30)
        receiver.close()
        worker.close()


def test_a_restarted_worker_remembers_what_it_sent(private: Settings) -> None:
    planted = planted_records()
    es_io.write_records(list(planted.values()), private)
    es_io.refresh(private)
    subscriptions = FileSubscriptions(private.alert_subscriptions_file)
    first = TargetingWorker(private, subscriptions=subscriptions, publish_alerts=False)
    first.warm_up()
    sent = first.handle_batch(list(planted.values()))
    first.close()
    assert planted["p-volkov"].id in {a.record_id for a in sent.alerts}
    es_io.refresh(private)

    again = TargetingWorker(private, subscriptions=subscriptions, publish_alerts=False)
    again.warm_up()
    replay = again.handle_batch([planted["p-volkov"]])
    again.close()
    assert replay.alerts == [] and [a.record_id for a in replay.suppressed] == [planted["p-volkov"].id]
