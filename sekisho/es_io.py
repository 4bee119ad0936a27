"""The Elasticsearch adapter: the only module that imports the Elasticsearch client.

Each indexed type (``schemas/indexed.py``) lives in a versioned index ``<namespace>-<type>-<mapping
hash>`` behind the alias ``<namespace>-<type>``. When a mapping changes, the new versioned index is
created and *filled from the old one* (reindex API) before the alias is swapped to it atomically, then
the old index is dropped (yente's pattern); an alias never points at an emptier index. Writes are bulk
upserts by the record's deterministic id, retried with back-off while the node is unreachable, so a
short outage delays records instead of losing them. Every function takes the settings it runs with.
"""

from __future__ import annotations

import json
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
from schemas.indexed import INDEXED_TYPES, type_name_of
from sekisho.settings import Settings

log = logging.getLogger(__name__)

_clients: dict[str, Elasticsearch] = {}


class ReindexError(Exception):
    """Documents of the old index did not fit the new mapping: the alias was left where it was."""


def client(settings: Settings) -> Elasticsearch:
    s = settings
    if s.es_url not in _clients:
        # A comma-separated list names several nodes of one cluster: a request that fails on one node is
        # retried by the caller and the client has marked that node dead, so the retry goes to another.
        hosts = [url.strip() for url in s.es_url.split(",") if url.strip()]
        _clients[s.es_url] = Elasticsearch(hosts, request_timeout=30, max_retries=0)
    return _clients[s.es_url]


def alias_name(type_name: str, settings: Settings) -> str:
    return settings.index(type_name.replace("_", "-"))


def index_name(type_name: str, settings: Settings) -> str:
    cls = INDEXED_TYPES[type_name]
    return f"{alias_name(type_name, settings)}-{index_version(cls)}"


def ensure_index(type_name: str, settings: Settings) -> str:
    """The versioned index for a type's current mapping, created if missing, with the alias on it.

    When the alias points at indices of an older mapping, their documents are copied into the new
    index first (reindex, existing documents kept), the alias moves atomically, documents written to
    the old index meanwhile are copied once more, and the old index is deleted.
    """
    es = client(settings)
    cls = INDEXED_TYPES[type_name]
    alias = alias_name(type_name, settings)
    name = index_name(type_name, settings)
    if not es.indices.exists(index=name):
        try:
            es.indices.create(index=name, body={"settings": index_settings(settings.es_replicas),
                                                        "mappings": es_mapping(cls)})
        except TransportError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise
    try:
        current = sorted(es.indices.get_alias(name=alias).keys())
    except NotFoundError:
        current = []
    if current == [name]:
        return name
    old = [index for index in current if index != name]
    for source in old:
        _reindex(es, source, name, cls)
    actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": alias}} for index in old]
    if name not in current:
        actions.append({"add": {"index": name, "alias": alias}})
    es.indices.update_aliases(body={"actions": actions})
    for source in old:  # what the stream wrote to the old index while the first copy ran
        _reindex(es, source, name, cls)
        es.indices.delete(index=source, ignore=[404])
        log.info("alias %s moved from %s to %s (documents reindexed)", alias, source, name)
    return name


def _reindex(es: Elasticsearch, source: str, dest: str, cls: type[BaseModel]) -> int:
    """Copy documents missing in ``dest`` from ``source``; top-level fields the new mapping no longer has
    are dropped on the way (a strict mapping would refuse them). Returns the number copied."""
    dest_fields = set(es_mapping(cls)["properties"])
    source_mapping = es.indices.get_mapping(index=source)[source]["mappings"]
    dropped = sorted(set(source_mapping.get("properties", {})) - dest_fields)
    body: dict[str, Any] = {"source": {"index": source}, "dest": {"index": dest, "op_type": "create"},
                            "conflicts": "proceed"}
    if dropped:
        body["script"] = {"lang": "painless", "params": {"dropped": dropped},
                          "source": "for (f in params.dropped) { ctx._source.remove(f) }"}
    try:
        result = dict(es.reindex(body=body, refresh=True, wait_for_completion=True, request_timeout=3600))
    except TransportError as exc:  # document failures come back as a 400 with the report in ``info``
        if not isinstance(exc.info, dict) or not exc.info.get("failures"):
            raise
        result = exc.info
    failures = result.get("failures") or []
    if failures:
        reasons = sorted({str(f.get("cause", {}).get("reason", f))[:200] for f in failures})
        raise ReindexError(f"{len(failures)} documents of {source} do not fit the mapping of {dest}: "
                           + "; ".join(reasons[:3]))
    if dropped:
        log.warning("reindex %s -> %s dropped fields no longer mapped: %s", source, dest, ", ".join(dropped))
    return int(result.get("created", 0))


def ensure_types(type_names: Iterable[str], settings: Settings) -> list[str]:
    return [ensure_index(name, settings) for name in type_names]


def ensure_indices(settings: Settings) -> list[str]:
    """Every indexed type's index (``schemas.indexed.INDEXED_TYPES``)."""
    return ensure_types(INDEXED_TYPES, settings)


def delete_namespace(settings: Settings) -> None:
    s = settings
    client(s).indices.delete(index=f"{s.namespace}-*", ignore=[404])


def document_json(record: BaseModel) -> str:
    """A record as it is indexed (and as the ingest job sends it to its topics): JSON, without nulls."""
    return record.model_dump_json(exclude_none=True)


def bulk_action(record: BaseModel, settings: Settings, *, source: str | None = None) -> dict[str, Any]:
    """The index action of one document; ``source`` is its ``document_json`` when the caller has it
    already. JSON text goes to the bulk body as it is."""
    rid = getattr(record, "id")  # noqa: B009 - every indexed type has an id
    return {"_op_type": "index", "_index": alias_name(type_name_of(record), settings), "_id": rid,
            "_source": document_json(record) if source is None else source}


def bulk_actions(records: Iterable[BaseModel], settings: Settings) -> Iterator[dict[str, Any]]:
    return (bulk_action(record, settings) for record in records)


_INDEX_ACTION_KEYS = {"_op_type", "_index", "_id", "_source"}


def bulk_lines(action: Mapping[str, Any]) -> tuple[str | dict[str, Any], Any]:
    """The bulk body's two lines of an action. An index action whose source is JSON text already
    (``bulk_action``) gets its action line as text too; any other goes through the client's own
    ``expand_action``. (The client copies each action dict and serialises its action line with
    ``json.dumps``: a sixth of the ingest job's writer thread in a profile.)"""
    source = action.get("_source")
    if isinstance(source, str) and action.get("_op_type") == "index" and action.keys() == _INDEX_ACTION_KEYS:
        return f'{{"index":{{"_index":{json.dumps(action["_index"])},"_id":{json.dumps(action["_id"])}}}}}', source
    expanded: tuple[str | dict[str, Any], Any] = helpers.expand_action(action)
    return expanded


# What a bulk response needs to say per document (its status, and the error and id of a failure): the rest
# of each item (index, version, shards, sequence numbers) would only be parsed and dropped.
BULK_RESPONSE_FIELDS = "items.*._id,items.*.status,items.*.error"


def write_actions(
    actions: list[dict[str, Any]], settings: Settings, *, max_wait_s: float | None = None
) -> int:
    """Bulk-write, retrying with capped exponential back-off while Elasticsearch is unreachable.

    Document-level failures (mapping conflicts) are returned to the caller via ``BulkWriteError``; only
    transport failures are retried, because those are the ones that heal by waiting.
    """
    if not actions:
        return 0
    s = settings
    deadline = time.monotonic() + (s.es_retry_max_seconds if max_wait_s is None else max_wait_s)
    delay = 0.2
    while True:
        try:
            ok, errors = helpers.bulk(
                client(s), actions, chunk_size=s.es_bulk_chunk, raise_on_error=False, max_retries=3,
                initial_backoff=0.2, refresh=False, filter_path=BULK_RESPONSE_FIELDS,
                expand_action_callback=bulk_lines,
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


def write_records(records: Iterable[BaseModel], settings: Settings) -> int:
    return write_actions(list(bulk_actions(records, settings)), settings)


def refresh(settings: Settings) -> None:
    s = settings
    client(s).indices.refresh(index=f"{s.namespace}-*")


def count(type_name: str, settings: Settings, query: Mapping[str, Any] | None = None) -> int:
    s = settings
    body = {"query": query} if query else None
    try:
        return int(client(s).count(index=alias_name(type_name, s), body=body)["count"])
    except NotFoundError:
        return 0


def get(type_name: str, doc_id: str, settings: Settings) -> dict[str, Any] | None:
    s = settings
    try:
        return dict(client(s).get(index=alias_name(type_name, s), id=doc_id)["_source"])
    except NotFoundError:
        return None


def search(
    type_names: Iterable[str] | str,
    query: Mapping[str, Any],
    settings: Settings,
    *,
    size: int = 20,
    from_: int = 0,
    sort: list[Any] | None = None,
) -> list[dict[str, Any]]:
    """Search one or several types; each hit's ``_source`` with ``_index``, ``_id`` and ``_score`` added."""
    s = settings
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


def aggregate(
    type_names: Iterable[str], aggregations: Mapping[str, Any], settings: Settings
) -> dict[str, Any]:
    """Run ``aggregations`` over every document of the given types; their results (``{}`` if none exist)."""
    s = settings
    index = ",".join(alias_name(n, s) for n in type_names)
    body = {"size": 0, "aggs": dict(aggregations)}
    try:
        result = client(s).search(index=index, body=body, ignore_unavailable=True)
    except NotFoundError:
        return {}
    return dict(result.get("aggregations") or {})


def scan(type_name: str, query: Mapping[str, Any] | None, settings: Settings
         ) -> Iterator[dict[str, Any]]:
    s = settings
    body = {"query": dict(query or {"match_all": {}})}
    try:
        for hit in helpers.scan(client(s), index=alias_name(type_name, s), query=body):
            yield dict(hit["_source"])
    except NotFoundError:
        return


def delete_by_query(type_name: str, query: Mapping[str, Any], settings: Settings) -> int:
    s = settings
    result = client(s).delete_by_query(index=alias_name(type_name, s), body={"query": dict(query)},
                                       refresh=True, conflicts="proceed")
    return int(result.get("deleted", 0))


def live_mapping(type_name: str, settings: Settings) -> dict[str, Any]:
    s = settings
    result = client(s).indices.get_mapping(index=alias_name(type_name, s))
    (only,) = result.values()
    return dict(only["mappings"])


def is_healthy(settings: Settings) -> bool:
    try:
        health = client(settings).cluster.health(request_timeout=3)
    except (ESConnectionError, ConnectionTimeout, TransportError, OSError):
        return False
    return health.get("status") in ("green", "yellow")
