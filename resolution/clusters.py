"""Canonical entities: records joined by rule matches and analysts' judgements, incrementally.

``Resolver.add(records)`` profiles each record, compares it with the records that share a blocking
key, and keeps every proposed match. Matches and confirmations are the edges of a graph. Pairwise
matches are never withdrawn; the one rule that looks at a whole flight (``resolution.flight_names``)
is re-decided when a traveller with a related name joins the flight, and withdraws its match when a
namesake appears, so a component can also split. Each component is partitioned by applying its edges
in a fixed order (confirmations first, then rule matches strongest first, ties by record ids) and
refusing any union that would put a rejected pair into one entity. The edges are a function of the
records and judgements seen, and the partition of a component a function of its edges and judgements,
so the entities are the same whatever order records and judgements arrive in: a rebuild from the index
gives what the stream gave.

The canonical id of an entity is its smallest member record id: a function of the cluster, stable
under replay; a record that is alone is its own entity.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from resolution.blocking import blocking_keys
from resolution.flight_names import RULE as FLIGHT_NAME_RULE
from resolution.flight_names import FlightNames
from resolution.profiles import Profile, profile_of
from resolution.rules import Match, compare, pair_of
from schemas.documents import EntityMembership, MatchJudgement
from schemas.records import Record

log = logging.getLogger(__name__)

MAX_BLOCK = 2_000  # a key shared by more records than this (a call centre's phone) stops proposing pairs


@dataclass
class Changes:
    """What a step changed: records whose entity id changed (or that are new), and warnings."""

    records: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)  # record -> the entity it was in before (not itself)

    def update(self, other: Changes) -> None:
        self.records |= other.records
        self.warnings.extend(other.warnings)
        for record_id, entity in other.left.items():
            self.left.setdefault(record_id, entity)


class _Partition:
    """Union-find over a component's records that refuses to join a rejected pair."""

    def __init__(self, members: Iterable[str], rejected: dict[str, set[str]]) -> None:
        self.parent = {member: member for member in members}
        self.sets = {member: {member} for member in self.parent}
        self.rejected = rejected

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: str, right: str) -> bool:
        a, b = self.find(left), self.find(right)
        if a == b:
            return True
        small, large = sorted((self.sets[a], self.sets[b]), key=len)
        if any(self.rejected.get(member, set()) & large for member in small):
            return False
        root, child = (a, b) if len(self.sets[a]) >= len(self.sets[b]) else (b, a)
        self.parent[child] = root
        self.sets[root] |= self.sets.pop(child)
        return True


class Resolver:
    """Resolution state: profiles, blocks, matches, judgements and the entity of every record."""

    def __init__(self, judgements: Iterable[MatchJudgement] = (), *, max_block: int = MAX_BLOCK) -> None:
        self.max_block = max_block
        self._profiles: dict[str, Profile] = {}
        self._blocks: dict[str, list[str]] = {}
        self._matches: dict[tuple[str, str], Match] = {}
        self._adjacent: dict[str, set[str]] = {}
        self._judgements: dict[tuple[str, str], MatchJudgement] = {}
        self._entity: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        self._overfull: set[str] = set()
        self._flight_names = FlightNames()
        for judgement in judgements:
            self._remember(judgement)

    # -- reading
    def __contains__(self, record_id: object) -> bool:
        return record_id in self._profiles

    def __len__(self) -> int:
        return len(self._profiles)

    def record_ids(self) -> list[str]:
        return sorted(self._profiles)

    def profile(self, record_id: str) -> Profile | None:
        return self._profiles.get(record_id)

    def entity_of(self, record_id: str) -> str:
        """The canonical id of a record's entity (the record's own id when it was never resolved)."""
        return self._entity.get(record_id, record_id)

    def members(self, entity_id: str) -> list[str]:
        """The records of an entity, smallest id (the canonical one) first."""
        return list(self._members.get(self.entity_of(entity_id), [entity_id]))

    def entities(self) -> dict[str, list[str]]:
        """Every entity with more than one record: canonical id -> members."""
        return {entity: list(members) for entity, members in self._members.items() if len(members) > 1}

    def matches(self) -> list[Match]:
        return sorted(self._matches.values(), key=lambda m: m.pair)

    def matches_of(self, record_id: str) -> list[Match]:
        """The proposed matches that touch a record (within its entity or refused by a judgement)."""
        return sorted(
            (self._matches[pair_of(record_id, other)] for other in self._adjacent.get(record_id, set())
             if pair_of(record_id, other) in self._matches),
            key=lambda m: m.pair,
        )

    def judgement(self, left: str, right: str) -> MatchJudgement | None:
        return self._judgements.get(pair_of(left, right))

    def _rule_stands(self, left: str, right: str) -> bool:
        judged = self.judgement(left, right)
        return judged is None or judged.verdict == "unsure"

    def judgements(self) -> list[MatchJudgement]:
        return sorted(self._judgements.values(), key=lambda j: (j.left, j.right))

    def membership(self, record_id: str) -> EntityMembership | None:
        profile = self._profiles.get(record_id)
        if profile is None:
            return None
        entity = self.entity_of(record_id)
        members = self.members(entity)
        inside = set(members)
        reasons = [
            f"{match.sentence} (rule {match.rule}, with {other})"
            for match in self.matches_of(record_id)
            if (other := match.right if match.left == record_id else match.left) in inside
            and self._rule_stands(record_id, other)
        ]
        for judged in self.judgements():
            if record_id in (judged.left, judged.right) and judged.verdict == "confirm":
                other = judged.right if judged.left == record_id else judged.left
                reasons.append(f"confirmed by analyst {judged.analyst} at {judged.judged_at.isoformat()}, with {other}")
        return EntityMembership(
            id=record_id,
            record_type=profile.record_type,
            entity_id=entity,
            kind=profile.kind,
            label=self._profiles[entity].label if entity in self._profiles else profile.label,
            members=members,
            reasons=reasons,
        )

    # -- writing
    def add(self, records: Iterable[Record]) -> Changes:
        """Resolve new (or replayed) records; returns the records whose entity changed."""
        changes = Changes()
        touched: set[str] = set()
        related: set[str] = set()
        for record in records:
            if record.id in self._profiles:
                continue  # a replay: the record's content is fixed by its id
            profile = profile_of(record)
            if profile is None:
                continue
            if profile.kind == "traveller":
                related |= self._flight_names.add(profile)
            self._profiles[profile.record_id] = profile
            self._adjacent.setdefault(profile.record_id, set())
            changes.records.add(profile.record_id)
            touched.add(profile.record_id)
            for key in sorted(blocking_keys(profile)):
                block = self._blocks.setdefault(key, [])
                if len(block) >= self.max_block:
                    if key not in self._overfull:
                        self._overfull.add(key)
                        changes.warnings.append(f"blocking key {key} has over {self.max_block} records: not compared")
                    continue
                for other_id in block:
                    pair = pair_of(profile.record_id, other_id)
                    if pair in self._matches:
                        continue
                    match = compare(profile, self._profiles[other_id])
                    if match is not None:
                        self._matches[pair] = match
                        self._link(*pair)
                        touched.add(other_id)
                block.append(profile.record_id)
        touched |= self._decide_flight_names(related)
        for warning in changes.warnings:
            log.warning("resolution: %s", warning)
        changes.update(self._repartition(touched))
        return changes

    def _decide_flight_names(self, related: set[str]) -> set[str]:
        """Make or withdraw the matches of travellers whose name is alone on a flight; returns their records.

        A pair that a pairwise rule matched keeps that match: this rule only fills in what they left apart.
        """
        if not related:
            return set()
        made, withdrawn = self._flight_names.decide(related, self._profiles)
        touched: set[str] = set()
        for match in made:
            current = self._matches.get(match.pair)
            if current is None or current.rule == FLIGHT_NAME_RULE:
                self._matches[match.pair] = match
                self._link(*match.pair)
                touched.update(match.pair)
        for pair in withdrawn:
            current = self._matches.get(pair)
            if current is not None and current.rule == FLIGHT_NAME_RULE:
                del self._matches[pair]
                judged = self._judgements.get(pair)
                if judged is None or judged.verdict != "confirm":
                    self._adjacent[pair[0]].discard(pair[1])
                    self._adjacent[pair[1]].discard(pair[0])
                touched.update(pair)
        return touched

    def judge(self, judgement: MatchJudgement) -> Changes:
        """Apply an analyst's judgement (the latest judgement of a pair is the one in force)."""
        if not self._remember(judgement):
            return Changes()
        return self._repartition({judgement.left, judgement.right})

    def _remember(self, judgement: MatchJudgement) -> bool:
        pair = (judgement.left, judgement.right)
        current = self._judgements.get(pair)
        if current is not None and (current.judged_at, current.id) >= (judgement.judged_at, judgement.id):
            return False
        self._judgements[pair] = judgement
        if judgement.verdict == "confirm":
            self._link(*pair)
        for record_id in pair:
            self._adjacent.setdefault(record_id, set())
        return True

    def _link(self, left: str, right: str) -> None:
        self._adjacent.setdefault(left, set()).add(right)
        self._adjacent.setdefault(right, set()).add(left)

    def _component(self, start: str) -> set[str]:
        seen = {start}
        frontier = [start]
        while frontier:
            for neighbour in self._adjacent.get(frontier.pop(), ()):
                if neighbour not in seen:
                    seen.add(neighbour)
                    frontier.append(neighbour)
        return seen

    def _repartition(self, touched: set[str]) -> Changes:
        changes = Changes()
        done: set[str] = set()
        for start in sorted(touched):
            if start in done:
                continue
            component = self._component(start)
            done |= component
            self._partition(component, changes)
        return changes

    def _partition(self, component: set[str], changes: Changes) -> None:
        """Cluster one component deterministically; notes the records whose entity changed."""
        rejected: dict[str, set[str]] = {}
        edges: list[tuple[int, str, str]] = []
        for member in sorted(component):
            for other in self._adjacent.get(member, ()):
                if member >= other:
                    continue
                judged = self._judgements.get((member, other))
                if judged is not None and judged.verdict == "confirm":
                    edges.append((-1, member, other))
                elif judged is not None and judged.verdict == "reject":
                    continue
                elif (member, other) in self._matches:
                    edges.append((self._matches[(member, other)].strength, member, other))
        for (left, right), judged in self._judgements.items():
            if judged.verdict == "reject" and (left in component or right in component):
                rejected.setdefault(left, set()).add(right)
                rejected.setdefault(right, set()).add(left)
        partition = _Partition(component, rejected)
        for _, left, right in sorted(edges):
            partition.union(left, right)
        for members in partition.sets.values():
            ordered = sorted(members)
            canonical = ordered[0]
            for member in ordered:
                before = self._entity.get(member)
                if (before != canonical) and member in self._profiles:
                    changes.records.add(member)
                    if before is not None and before != member:
                        changes.left.setdefault(member, before)
                self._entity[member] = canonical
                self._members.pop(member, None)
            self._members[canonical] = ordered
