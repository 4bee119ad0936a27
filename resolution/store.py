"""Resolution in Elasticsearch: analysts' judgements, each record's entity, and the rebuild.

Judgements (``match_judgement``) are append-only: a new judgement of a pair is a new document, and
the latest one is in force, so the index is the audit trail. Memberships (``entity_membership``, one
per resolved record, ``_id`` = record id) say which canonical entity a record belongs to; they are
what the API, the queue and search read. ``rebuild`` recomputes them all from the indexed records and
the judgements; the stream keeps them current as records arrive (``Resolver.add`` then
``write_memberships`` for the records whose entity changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolution.clusters import Changes, Resolver
from schemas.documents import EntityMembership, MatchJudgement
from schemas.indexed import JUDGEMENT_TYPE, MEMBERSHIP_TYPE
from schemas.records import Passenger, Record, record_from_dict
from sekisho import es_io
from sekisho.settings import Settings

RESOLVED_TYPES: tuple[str, ...] = ("passenger", "consignment", "declaration", "party", "flight_leg")


def _clean(hit: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in hit.items() if not key.startswith("_")}


class EsResolutionStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ensure(self) -> None:
        es_io.ensure_types([JUDGEMENT_TYPE, MEMBERSHIP_TYPE], self.settings)

    # -- judgements
    def judgements(self, since: datetime | None = None) -> list[MatchJudgement]:
        query = {"range": {"judged_at": {"gt": since.isoformat()}}} if since else None
        found = [MatchJudgement.model_validate(_clean(hit)) for hit in es_io.scan(JUDGEMENT_TYPE, query, self.settings)]
        return sorted(found, key=lambda j: (j.judged_at, j.id))

    def judgements_of(self, record_ids: Sequence[str]) -> list[MatchJudgement]:
        """Every judgement (the whole trail) that touches one of the records, newest first."""
        if not record_ids:
            return []
        ids = list(record_ids)
        query = {"bool": {"should": [{"terms": {"left": ids}}, {"terms": {"right": ids}}], "minimum_should_match": 1}}
        hits = es_io.search(JUDGEMENT_TYPE, query, self.settings, size=1000, sort=[{"judged_at": "desc"}])
        return [MatchJudgement.model_validate(_clean(hit)) for hit in hits]

    def save_judgement(self, judgement: MatchJudgement) -> None:
        es_io.write_records([judgement], self.settings)

    # -- memberships
    def write_memberships(self, memberships: Iterable[EntityMembership]) -> int:
        return es_io.write_records(list(memberships), self.settings)

    def memberships(self, record_ids: Iterable[str]) -> dict[str, EntityMembership]:
        ids = sorted(set(record_ids))
        if not ids:
            return {}
        hits = es_io.search(MEMBERSHIP_TYPE, {"ids": {"values": ids}}, self.settings, size=len(ids))
        return {str(hit["_id"]): EntityMembership.model_validate(_clean(hit)) for hit in hits}

    def entity_members(self, entity_id: str) -> list[EntityMembership]:
        hits = es_io.search(MEMBERSHIP_TYPE, {"term": {"entity_id": entity_id}}, self.settings, size=1000)
        return sorted((EntityMembership.model_validate(_clean(hit)) for hit in hits), key=lambda m: m.id)

    # -- records
    def records(self) -> Iterator[Record]:
        for record_type in RESOLVED_TYPES:
            for hit in es_io.scan(record_type, None, self.settings):
                yield record_from_dict(hit)


def memberships_of(resolver: Resolver, record_ids: Iterable[str]) -> list[EntityMembership]:
    return [m for m in (resolver.membership(record_id) for record_id in sorted(record_ids)) if m is not None]


def refresh_entities(resolver: Resolver, changes: Changes) -> set[str]:
    """The records whose membership document must be rewritten after ``changes``: the changed ones
    and every member of the entities they now belong to (an entity's member list changed)."""
    affected = set(changes.records)
    for record_id in changes.records:
        affected.update(resolver.members(resolver.entity_of(record_id)))
    return affected


@dataclass(frozen=True)
class RebuildReport:
    records: int
    entities: int
    merged_records: int
    judgements: int
    written: int
    warnings: tuple[str, ...]


def _relink(resolver: Resolver, record_ids: Sequence[str], settings: Settings, *, everything: bool) -> None:
    """Write the ``same_as`` edges of the records and delete the ones that no longer hold: of these
    records, or of every record when ``everything`` (a rebuild)."""
    from graph.store import EsGraphStore
    from resolution.graph_links import entity_edges
    from schemas.indexed import EDGE_TYPE

    edges = entity_edges(resolver, record_ids)
    graph = EsGraphStore(settings)
    graph.ensure()
    if edges:
        graph.upsert([], edges)
    # Entity edges join two records; the graph's other ``same_as`` edges end at a shared key node.
    between_records = [{"prefix": {"dst": f"{record_type}-"}} for record_type in RESOLVED_TYPES]
    scope: list[dict[str, Any]] = [{"term": {"kind": "same_as"}}]
    if not everything:
        scope.append({"terms": {"src": list(record_ids)}})
    stale = {
        "bool": {
            "filter": scope,
            "should": between_records,
            "minimum_should_match": 1,
            "must_not": [{"ids": {"values": [e.id for e in edges]}}],
        }
    }
    es_io.delete_by_query(EDGE_TYPE, stale, settings)


def load_resolver(store: EsResolutionStore) -> tuple[Resolver, Changes]:
    """A resolver holding every indexed record and judgement (what the stream starts from)."""
    resolver = Resolver(store.judgements())
    return resolver, resolver.add(store.records())


def catch_up(resolver: Resolver, store: EsResolutionStore) -> int:
    """Write the memberships that differ from what the index holds (a stream starting from the index:
    records indexed while it was down are in the resolver but were never resolved in the stream)."""
    from schemas.indexed import MEMBERSHIP_TYPE

    stored = {
        str(hit["id"]): (hit.get("entity_id"), hit.get("members"), hit.get("reasons"))
        for hit in es_io.scan(MEMBERSHIP_TYPE, None, store.settings)
    }
    stale = []
    for membership in memberships_of(resolver, resolver.record_ids()):
        if stored.get(membership.id) != (membership.entity_id, membership.members, membership.reasons):
            stale.append(membership)
    if stale:
        store.write_memberships(stale)
        _relink(resolver, [m.id for m in stale], store.settings, everything=False)
    return len(stale)


def rebuild(settings: Settings) -> RebuildReport:
    """Recompute every record's entity from the indexed records and judgements, and write them all."""
    store = EsResolutionStore(settings)
    store.ensure()
    resolver, changes = load_resolver(store)
    ids = sorted(changes.records)
    written = store.write_memberships(memberships_of(resolver, ids))
    _relink(resolver, ids, settings, everything=True)
    entities = resolver.entities()
    return RebuildReport(
        records=len(resolver),
        entities=len(entities),
        merged_records=sum(len(members) for members in entities.values()),
        judgements=len(resolver.judgements()),
        written=written,
        warnings=tuple(changes.warnings),
    )


def drop_left_links(changes: Changes, settings: Settings) -> int:
    """Delete the ``same_as`` edges of records that left an entity (an analyst's rejection split it)."""
    from schemas.indexed import EDGE_TYPE

    if not changes.left:
        return 0
    query = {
        "bool": {
            "filter": [{"term": {"kind": "same_as"}}],
            "should": [
                {"bool": {"filter": [{"term": {"src": record_id}}, {"term": {"dst": entity}}]}}
                for record_id, entity in sorted(changes.left.items())
            ],
            "minimum_should_match": 1,
        }
    }
    return es_io.delete_by_query(EDGE_TYPE, query, settings)


def fetch_records(record_ids: Iterable[str], settings: Settings) -> list[Record]:
    ids = sorted(set(record_ids))
    if not ids:
        return []
    hits = es_io.search(list(RESOLVED_TYPES), {"ids": {"values": ids}}, settings, size=len(ids) * 2)
    return [record_from_dict(_clean(hit)) for hit in hits]


def fellow_travellers(records: Sequence[Record], settings: Settings, *, limit: int = 5_000) -> list[Record]:
    """The traveller records on the flight legs of the travellers among ``records``."""
    legs = sorted({leg for record in records if isinstance(record, Passenger) for leg in record.flight_leg_ids})
    if not legs:
        return []
    hits = es_io.search("passenger", {"terms": {"flight_leg_ids": legs}}, settings, size=limit)
    return [record_from_dict(_clean(hit)) for hit in hits]


def apply_judgement(judgement: MatchJudgement, settings: Settings) -> list[EntityMembership]:
    """Store an analyst's judgement and re-resolve the two entities it touches at once.

    The stream applies the judgement too (it reads new judgements every batch) and a rebuild always
    does; this makes the API answer with the new entities straight away.
    """
    from graph.store import EsGraphStore
    from resolution.graph_links import entity_edges
    store = EsResolutionStore(settings)
    store.ensure()
    store.save_judgement(judgement)
    before = store.memberships([judgement.left, judgement.right])
    ids = {judgement.left, judgement.right}
    for membership in before.values():
        ids.update(membership.members)
    before = {**before, **store.memberships(ids)}
    records = fetch_records(ids, settings)
    # Whether a name is alone on its flight depends on everyone on the flight: resolve them too.
    around = [record for record in fellow_travellers(records, settings) if record.id not in ids]
    resolver = Resolver([*store.judgements_of(sorted(ids | {record.id for record in around})), judgement])
    resolver.add([*records, *around])
    after = memberships_of(resolver, ids)
    store.write_memberships(after)
    left = {
        record_id: old.entity_id
        for record_id, old in before.items()
        if old.entity_id != record_id and old.entity_id != resolver.entity_of(record_id)
    }
    if left:
        drop_left_links(Changes(left=left), settings)
    graph = EsGraphStore(settings)
    graph.ensure()
    graph.upsert([], entity_edges(resolver, ids))
    es_io.refresh(settings)
    return after
