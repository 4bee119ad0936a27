"""The alert desk's state: what a compacted state message holds, and how a member takes targets over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sekisho import kafka_io
from sekisho.settings import Settings
from targeting.alert_desk import STATE, state_body, state_entry
from targeting.alerts import Deduplicator, alert_for
from tests.unit.test_targeting_alerts import NOW, scored


def test_a_state_message_restores_what_was_sent() -> None:
    sent = alert_for(scored(0.8), now=NOW)
    assert sent is not None
    entry = state_entry(state_body(sent))
    assert entry == (NOW, 0.8, "high")
    owner = Deduplicator(timedelta(hours=24))
    owner.restore(sent.key, entry)  # a new owner reads the partition's state back...
    repeat = alert_for(scored(0.82), now=NOW + timedelta(minutes=1))
    escalated = alert_for(scored(0.95), now=NOW + timedelta(minutes=2))
    assert repeat and escalated
    assert not owner.admit(repeat)  # ...and does not send the target's alert again
    assert owner.admit(escalated)  # an escalation still goes out


@pytest.mark.parametrize("value", [b"", b"{}", b'{"sent_at": "not a date", "score": 1, "severity": "high"}',
                                   b'["a list"]'])
def test_a_message_that_is_not_a_state_is_a_clear_error(value: bytes) -> None:
    with pytest.raises(ValueError, match="alert state"):
        state_entry(value)


def test_an_undone_decision_and_a_revoked_partition_leave_no_entry() -> None:
    dedup = Deduplicator(timedelta(hours=24))
    alert = alert_for(scored(0.8), now=NOW)
    assert alert is not None
    before = dedup.entry(alert.key)
    assert dedup.admit(alert) and dedup.entry(alert.key) is not None
    dedup.restore(alert.key, before)  # the transaction failed: the decision is taken again later
    assert dedup.admit(alert)
    dedup.forget([alert.key])  # its partition went to another member
    assert dedup.entry(alert.key) is None


def test_the_state_topic_is_compacted_and_kept_no_longer_than_any_topic() -> None:
    settings = Settings()
    assert STATE in kafka_io.COMPACTED
    state = kafka_io.topic_configs(settings, compacted=True)
    events = kafka_io.topic_configs(settings)
    assert state["cleanup.policy"] == "compact,delete" and events["cleanup.policy"] == "delete"
    assert state["retention.ms"] == events["retention.ms"] == str(settings.kafka_retention_ms)
