"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sekisho.settings import Settings
from targeting.alerts import FileSubscriptions
from targeting.api import create_app
from targeting.api.es_store import EsStore
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.roles import Role
from targeting.api.sample_data import index_planted

PlantedApi = tuple[TestClient, dict[Role, dict[str, str]]]


@pytest.fixture(scope="module")
def planted_api(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantedApi]:
    """The API on Elasticsearch over the planted story (written to the module's namespace), with a key per
    role (``auth[role]`` are its headers)."""
    tmp = tmp_path_factory.mktemp("api")
    settings = stack.model_copy(update={"feedback_dir": tmp / "feedback"})
    index_planted(settings)
    keys = MemoryKeyStore()
    app = create_app(EsStore(settings), keys, MemoryRawSink(), FileSubscriptions(tmp / "subs.json"), settings)
    auth = {r: {"Authorization": f"Bearer {create_key(keys, r, r.value + '-it')}"} for r in Role}
    with TestClient(app) as client:
        yield client, auth


def as_stored(mapping: dict[str, Any]) -> dict[str, Any]:
    """A generated mapping as Elasticsearch reports it back: object fields without their implicit
    ``"type": "object"``."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if key == "properties":
            out[key] = {name: as_stored(sub) for name, sub in value.items()}
        elif not (key == "type" and value == "object" and "properties" in mapping):
            out[key] = value
    return out
