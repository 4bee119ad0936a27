"""Shared fixtures. ``stack`` starts the real local Kafka broker and Elasticsearch node (or reuses
healthy ones) and gives the test session its own namespace, so topics and indices never collide."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from sekisho.settings import Settings, get_settings


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    from sekisho import stack as local_stack
    from streams import es_io, kafka_io

    namespace = f"test{uuid.uuid4().hex[:8]}"
    previous = os.environ.get("SEKISHO_NAMESPACE")
    os.environ["SEKISHO_NAMESPACE"] = namespace
    get_settings.cache_clear()
    settings = get_settings()
    local_stack.up(settings)
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    yield settings
    try:
        es_io.delete_namespace(settings)
        kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)
    finally:
        if previous is None:
            os.environ.pop("SEKISHO_NAMESPACE", None)
        else:
            os.environ["SEKISHO_NAMESPACE"] = previous
        get_settings.cache_clear()
