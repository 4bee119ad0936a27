"""Shared fixtures.

``stack_services`` starts the real local Kafka broker and Elasticsearch node once per session (or
reuses healthy ones). ``stack`` gives each test module a namespace of its own (topics, indices, feedback
and subscription files), so modules never see each other's records.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sekisho.settings import Settings, get_settings

ISOLATED_ENV = ("SEKISHO_NAMESPACE", "SEKISHO_FEEDBACK_DIR", "SEKISHO_ALERT_SUBSCRIPTIONS_FILE")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cluster drills run only when asked for by name (``-m cluster``): they start a multi-process
    cluster and take minutes each, too much for the default run (and for ``-m integration``)."""
    if "cluster" in (config.option.markexpr or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("cluster") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("cluster") is None]


@pytest.fixture(scope="session")
def stack_services() -> Settings:
    from sekisho import stack as local_stack

    settings = get_settings()
    local_stack.up(settings)
    return settings


@pytest.fixture(scope="module")
def stack(stack_services: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from sekisho import es_io, kafka_io

    state: Path = tmp_path_factory.mktemp("stack")
    previous = {name: os.environ.get(name) for name in ISOLATED_ENV}
    os.environ["SEKISHO_NAMESPACE"] = f"test{uuid.uuid4().hex[:8]}"
    os.environ["SEKISHO_FEEDBACK_DIR"] = str(state / "feedback")
    os.environ["SEKISHO_ALERT_SUBSCRIPTIONS_FILE"] = str(state / "subscriptions.json")
    get_settings.cache_clear()
    settings = get_settings()
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    yield settings
    try:
        es_io.delete_namespace(settings)
        kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def cluster_services() -> Iterator[Settings]:
    """The loopback cluster (3 brokers, 3 search nodes, Flink session cluster); stopped again at the end
    of the session if this fixture started it, left alone if it was already running."""
    from sekisho import stack_cluster

    settings = get_settings()
    already = all(st.healthy for st in stack_cluster.status(settings))
    stack_cluster.up(settings, timeout_s=420)
    yield stack_cluster.cluster_settings(settings)
    if not already:
        stack_cluster.down(settings)


@pytest.fixture(scope="module")
def cluster(cluster_services: Settings) -> Iterator[Settings]:
    """A namespace of its own on the loopback cluster for one test module."""
    from sekisho import es_io, kafka_io

    settings = cluster_services.model_copy(update={"namespace": f"drill{uuid.uuid4().hex[:8]}",
                                                   "flink_parallelism": 2})
    kafka_io.ensure_topics(settings)
    es_io.ensure_indices(settings)
    yield settings
    es_io.delete_namespace(settings)
    kafka_io.delete_topics([settings.topic(n) for n in kafka_io.TOPICS], settings)
