"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.test_targeting_alerts import Receiver


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    """A real webhook endpoint on 127.0.0.1 that answers every call with 204."""
    server = Receiver()
    yield server
    server.close()
