"""Canonical entities in the API: one search hit and one alert per entity, its members one click away,
and analysts' judgements on proposed merges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from schemas.documents import Alert, EntityMembership, MatchJudgement
from targeting.api.store import Store
from targeting.api.views import SearchHit, View


class EntityMember(View):
    record_id: str
    record_type: str
    reasons: list[str] = Field(default_factory=list)  # why this record is part of the entity


class EntityMembers(View):
    entity_id: str
    kind: str | None = None
    label: str | None = None
    members: list[EntityMember]
    judgements: list[MatchJudgement] = Field(default_factory=list)  # newest first: the audit trail


class JudgementIn(View):
    left: str = Field(min_length=1, max_length=200)
    right: str = Field(min_length=1, max_length=200)
    verdict: Literal["confirm", "reject", "unsure"]
    note: str | None = Field(default=None, max_length=2000)


def members_of(store: Store, record_id: str) -> EntityMembers:
    """The entity of ``record_id`` (a record or canonical id) with its records and their judgements."""
    entity_id = store.entity_of(record_id) or record_id
    memberships: list[EntityMembership] = store.entity_members(entity_id)
    if not memberships:
        doc = store.document(record_id) or {}
        members = [EntityMember(record_id=record_id, record_type=str(doc.get("record_type", "unknown")))]
        return EntityMembers(entity_id=entity_id, members=members)
    ids = [m.id for m in memberships]
    canonical = next((m for m in memberships if m.id == entity_id), memberships[0])
    return EntityMembers(
        entity_id=entity_id,
        kind=canonical.kind,
        label=canonical.label,
        members=[EntityMember(record_id=m.id, record_type=m.record_type, reasons=list(m.reasons))
                 for m in memberships],
        judgements=store.judgements_of(ids),
    )


def one_hit_per_entity(store: Store, hits: Sequence[SearchHit]) -> list[SearchHit]:
    """Search hits with the records of one entity folded into its first (best) hit (one entity lookup)."""
    entities = store.entities_of([hit.id for hit in hits]) if hits else {}
    kept: dict[str, SearchHit] = {}
    for hit in hits:
        entity = entities.get(hit.id) or hit.id
        if entity in kept:
            first = kept[entity]
            kept[entity] = first.model_copy(update={"members": first.members + 1})
            continue
        kept[entity] = hit.model_copy(update={"entity_id": entity})
    return list(kept.values())


def latest_per_target(alerts: Sequence[Alert]) -> list[Alert]:
    """One alert per target (its key): the newest, which carries the evidence so far."""
    latest: dict[str, Alert] = {}
    for alert in alerts:
        current = latest.get(alert.key)
        if current is None or (alert.created_at, alert.score) > (current.created_at, current.score):
            latest[alert.key] = alert
    return sorted(latest.values(), key=lambda a: a.created_at, reverse=True)
