"""The Elasticsearch adapter: the only module that imports the Elasticsearch client.

Each record type lives in a versioned index ``<namespace>-<type>-<mapping hash>`` behind the alias
``<namespace>-<type>``; a changed mapping creates a new index and the alias is swapped atomically
(yente's pattern). Writes are bulk upserts by the record's deterministic id, retried with back-off
while the node is unreachable, so a short outage delays records instead of losing them.
"""

from __future__ import annotations

import importlib
import logging
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from elasticsearch import Elasticsearch, helpers
from elasticsearch.exceptions import ConnectionError as ESConnectionError
from elasticsearch.exceptions import ConnectionTimeout, NotFoundError, TransportError
from pydantic import BaseModel

from schemas.generate import es_mapping, index_settings, index_version
from schemas.records import RECORD_TYPES, Record
from sekisho.settings import Settings, get_settings

log = logging.getLogger(__name__)

_clients: dict[str, Elasticsearch] = {}

# Extra indexed types beyond records (graph nodes and edges, audit, feedback...) register here.
EXTRA_TYPES: dict[str, type[BaseModel]] = {}


# Modules that register their indexed types when imported (graph, targeting, API audit).
REGISTERING_MODULES = ("graph.store", "targeting.indices", "targeting.api.es_store", "crawlers.frontier")


def register_type(name: str, cls: type[BaseModel]) -> None:
    EXTRA_TYPES[name] = cls


def indexed_types() -> dict[str, type[BaseModel]]:
    """Every type with an index: the records, and whatever the installed areas register."""
    for module in REGISTERING_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # an area left out of a slim installation
            log.debug("no indexed types from %s: %s", module, exc)
    return {**RECORD_TYPES, **EXTRA_TYPES}


def client(settings: Settings | None = None) -> Elasticsearch:
    s = settings or get_settings()
    if s.es_url not in _clients:
        _clients[s.es_url] = Elasticsearch(s.es_url, request_timeout=30, max_retries=0)
    return _clients[s.es_url]


def alias_name(type_name: str, settings: Settings | None = None) -> str:
    return (settings or get_settings()).index(type_name.replace("_", "-"))


def index_name(type_name: str, settings: Settings | None = None) -> str:
    cls = indexed_types()[type_name]
    return f"{alias_name(type_name, settings)}-{index_version(cls)}"


def ensure_index(type_name: str, settings: Settings | None = None) -> str:
    """Create the versioned index for a type if missing and point the alias at it (atomically)."""
    s = settings or get_settings()
    es = client(s)
    cls = indexed_types()[type_name]
    alias = alias_name(type_name, s)
    name = index_name(type_name, s)
    if not es.indices.exists(index=name):
        try:
            es.indices.create(index=name, body={"settings": index_settings(), "mappings": es_mapping(cls)})
        except TransportError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise
    current: list[str] = []
    try:
        current = list(es.indices.get_alias(name=alias).keys())
    except NotFoundError:
        current = []
    if current != [name]:
        actions: list[dict[str, Any]] = [{"remove": {"index": old, "alias": alias}} for old in current]
        actions.append({"add": {"index": name, "alias": alias}})
        es.indices.update_aliases(body={"actions": actions})
    return name


def ensure_indices(settings: Settings | None = None) -> list[str]:
    return [ensure_index(name, settings) for name in indexed_types()]


def delete_namespace(settings: Settings | None = None) -> None:
    s = settings or get_settings()
    client(s).indices.delete(index=f"{s.namespace}-*", ignore=[404])


def document(record: BaseModel) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_none=True)


def _type_of(record: BaseModel) -> str:
    if isinstance(record, Record):
        return record.record_type
    for name, cls in EXTRA_TYPES.items():
        if type(record) is cls:
            return name
    raise ValueError(f"{type(record).__name__} is not an indexed type")


def bulk_actions(records: Iterable[BaseModel], settings: Settings | None = None) -> Iterator[dict[str, Any]]:
    s = settings or get_settings()
    for record in records:
        rid = getattr(record, "id")  # noqa: B009 - every indexed type has an id
        yield {"_op_type": "index", "_index": alias_name(_type_of(record), s), "_id": rid, "_source": document(record)}


def write_actions(
    actions: list[dict[str, Any]], settings: Settings | None = None, *, max_wait_s: float | None = None
) -> int:
    """Bulk-write, retrying with capped exponential back-off while Elasticsearch is unreachable.

    Document-level failures (mapping conflicts) are returned to the caller via ``BulkWriteError``; only
    transport failures are retried, because those are the ones that heal by waiting.
    """
    if not actions:
        return 0
    s = settings or get_settings()
    deadline = time.monotonic() + (s.es_retry_max_seconds if max_wait_s is None else max_wait_s)
    delay = 0.2
    while True:
        try:
            ok, errors = helpers.bulk(
                client(s), actions, chunk_size=s.es_bulk_chunk, raise_on_error=False, max_retries=3,
                initial_backoff=0.2, refresh=False,
            )
        except (ESConnectionError, ConnectionTimeout) as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("elasticsearch unreachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            time.sleep(delay + random.uniform(0, delay / 2))
            delay = min(delay * 2, 10.0)
            continue
        if errors:
            raise BulkWriteError(list(errors) if isinstance(errors, list) else [errors])
        return int(ok)


class BulkWriteError(Exception):
    def __init__(self, errors: list[Any]) -> None:
        super().__init__(f"{len(errors)} documents rejected by Elasticsearch")
        self.errors = errors


def write_records(records: Iterable[BaseModel], settings: Settings | None = None) -> int:
    return write_actions(list(bulk_actions(records, settings)), settings)


def refresh(settings: Settings | None = None) -> None:
    s = settings or get_settings()
    client(s).indices.refresh(index=f"{s.namespace}-*")


def count(type_name: str, settings: Settings | None = None, query: Mapping[str, Any] | None = None) -> int:
    s = settings or get_settings()
    body = {"query": query} if query else None
    try:
        return int(client(s).count(index=alias_name(type_name, s), body=body)["count"])
    except NotFoundError:
        return 0


def get(type_name: str, doc_id: str, settings: Settings | None = None) -> dict[str, Any] | None:
    s = settings or get_settings()
    try:
        return dict(client(s).get(index=alias_name(type_name, s), id=doc_id)["_source"])
    except NotFoundError:
        return None


def search(
    type_names: Iterable[str] | str,
    query: Mapping[str, Any],
    settings: Settings | None = None,
    *,
    size: int = 20,
    from_: int = 0,
    sort: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """Search one or several types; each hit's ``_source`` with ``_index``, ``_id`` and ``_score`` added."""
    s = settings or get_settings()
    names = [type_names] if isinstance(type_names, str) else list(type_names)
    index = ",".join(alias_name(n, s) for n in names)
    body: dict[str, Any] = {"query": dict(query), "size": size, "from": from_}
    if sort:
        body["sort"] = sort
    try:
        result = client(s).search(index=index, body=body, ignore_unavailable=True)
    except NotFoundError:
        return []
    return [{**hit["_source"], "_index": hit["_index"], "_id": hit["_id"], "_score": hit.get("_score")}
            for hit in result["hits"]["hits"]]


def scan(type_name: str, query: Mapping[str, Any] | None = None, settings: Settings | None = None
         ) -> Iterator[dict[str, Any]]:
    s = settings or get_settings()
    body = {"query": dict(query or {"match_all": {}})}
    try:
        for hit in helpers.scan(client(s), index=alias_name(type_name, s), query=body):
            yield dict(hit["_source"])
    except NotFoundError:
        return


def delete_by_query(type_name: str, query: Mapping[str, Any], settings: Settings | None = None) -> int:
    s = settings or get_settings()
    result = client(s).delete_by_query(index=alias_name(type_name, s), body={"query": dict(query)},
                                       refresh=True, conflicts="proceed")
    return int(result.get("deleted", 0))


def live_mapping(type_name: str, settings: Settings | None = None) -> dict[str, Any]:
    s = settings or get_settings()
    result = client(s).indices.get_mapping(index=alias_name(type_name, s))
    (only,) = result.values()
    return dict(only["mappings"])


def is_healthy(settings: Settings | None = None) -> bool:
    try:
        health = client(settings).cluster.health(request_timeout=3)
    except (ESConnectionError, ConnectionTimeout, TransportError, OSError):
        return False
    return health.get("status") in ("green", "yellow")
