"""The targeting worker: enriched records in from Kafka, graph updated, targets scored, alerts out.

Per poll batch: link every record into the graph indices, refresh, propagate risk around the new
records, score the passengers and consignments with the rules in force (hot-reloaded), raise alerts,
drop those already sent within the re-alert window, put the rest on the alerts topic, index them and
deliver them to the subscribed webhooks. ``handle_batch`` is the unit-testable core; ``run`` the loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crawlers.safety import parse_allowances
from graph.model import Edge, Node
from resolution.clusters import Changes, Resolver
from resolution.graph_links import entity_edges
from schemas.documents import Alert, EntityMembership
from schemas.records import Consignment, FlightLeg, Passenger, Record, record_from_dict
from sekisho.settings import Settings
from targeting.alerts import (
    Deduplicator,
    Delivery,
    FileSubscriptions,
    SubscriptionStore,
    alert_for,
    alert_key,
    dispatch,
    publish,
)
from targeting.rules import RuleBook
from targeting.scoring import TargetScore, score_record
from targeting.sources import EsSource, TargetSource, related_for
from targeting.webhook_guard import guarded_client

if TYPE_CHECKING:
    from sekisho.kafka_io import GroupMember

log = logging.getLogger(__name__)

RECENT_LINKS_S = 3.0  # longer than the index refresh interval (1 s)
# Poll waits of the stream's stages (ms): a poll returns as soon as messages arrive, so this only bounds
# how long a stage takes to notice that the worker is stopping.
STAGE_WAIT_MS = 200


@dataclass
class BatchResult:
    scores: list[TargetScore] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    suppressed: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


class _NodesFirst:
    """A source whose graph nodes come from the propagation just done and entities from the worker's
    resolver, the rest from another source."""

    def __init__(self, inner: TargetSource, nodes: dict[str, Node], resolver: Resolver | None = None,
                 batch: Sequence[Record] = ()) -> None:
        self.inner = inner
        self.nodes = nodes
        self.resolver = resolver
        self.batch = {record.id: record for record in batch}  # may not be searchable in the index yet

    def records(self, record_type: str, ids: Iterable[str]) -> list[Record]:
        wanted = list(ids)
        found = [self.batch[i] for i in wanted if i in self.batch and self.batch[i].record_type == record_type]
        rest = [i for i in wanted if i not in self.batch]
        return [*found, *(self.inner.records(record_type, rest) if rest else [])]

    def arrivals(self, port: str, day: object) -> list[Record]:
        return []

    def graph_node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id) or self.inner.graph_node(node_id)

    def flights_numbered(self, carrier: str, flight_number: str) -> list[FlightLeg]:
        return self.inner.flights_numbered(carrier, flight_number)

    def entity_of(self, record_id: str) -> str | None:
        if self.resolver is not None and record_id in self.resolver:
            return self.resolver.entity_of(record_id)
        return self.inner.entity_of(record_id)

    def entity_members(self, record_id: str) -> list[str]:
        if self.resolver is not None and record_id in self.resolver:
            return self.resolver.members(record_id)
        return self.inner.entity_members(record_id)


class TargetingWorker:
    def __init__(
        self,
        settings: Settings,
        *,
        rules: RuleBook | None = None,
        subscriptions: SubscriptionStore | None = None,
        source: TargetSource | None = None,
        link_graph: bool = True,
        publish_alerts: bool = True,
        index_alerts: bool = True,
        resolve: bool = True,
    ) -> None:
        self.settings = settings
        self.rules = rules or RuleBook(self.settings.targeting_rules_dir)
        self.subscriptions = subscriptions or FileSubscriptions(self.settings.alert_subscriptions_file)
        self.source: TargetSource = source or EsSource(self.settings)
        self.dedup = Deduplicator(timedelta(hours=self.settings.alert_realert_hours))
        self.link_graph = link_graph
        self.publish_alerts = publish_alerts
        self.index_alerts = index_alerts
        self.client = guarded_client(parse_allowances(self.settings.alert_webhook_allowed_targets),
                                     self.settings.alert_webhook_timeout_s)
        self._graph_store: object | None = None
        self._recent: list[tuple[float, list[Node], list[Edge]]] = []
        self._producer: Any = None
        self._pending: tuple[list[Node], list[Edge], list[Node]] | None = None
        self._indices_ready = False
        # Entity resolution: in memory, seeded from the index at warm-up (records and judgements).
        self.resolve = resolve
        self.resolver: Resolver | None = Resolver() if resolve else None
        self._resolution_store: object | None = None
        self._judged_until: datetime | None = None
        self._pending_memberships: list[EntityMembership] = []
        self._pending_changes = Changes()

    def warm_up(self) -> None:
        """Load the rules, open the producer and make sure the indices exist before the first record."""
        from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
        from sekisho import es_io, kafka_io

        self.rules.current()
        if self.publish_alerts and self._producer is None:
            self._producer = kafka_io.producer(self.settings, linger_ms=0)
        if self.index_alerts and not self._indices_ready:
            es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], self.settings)
            self._indices_ready = True
            self._remember_sent_alerts()
        if self.link_graph:
            from graph.store import EsGraphStore

            store = EsGraphStore(self.settings)
            store.ensure()
            self._graph_store = store
        if self.resolve and self._resolution_store is None:
            from resolution.store import EsResolutionStore, catch_up, load_resolver

            resolution = EsResolutionStore(self.settings)
            resolution.ensure()
            self.resolver, _ = load_resolver(resolution)
            catch_up(self.resolver, resolution)
            judged = self.resolver.judgements()
            self._judged_until = max((j.judged_at for j in judged), default=None)
            self._resolution_store = resolution

    def _remember_sent_alerts(self) -> None:
        """Seed deduplication with the alerts indexed within the window: a restart does not re-alert."""
        from schemas.indexed import ALERT_TYPE
        from sekisho import es_io

        since = datetime.now(UTC) - self.dedup.window
        # Every alert of the window (a scan, not one page): ``remember`` keeps the latest per key.
        for hit in es_io.scan(ALERT_TYPE, {"range": {"created_at": {"gte": since.isoformat()}}}, self.settings):
            alert = Alert.model_validate({k: v for k, v in hit.items() if not k.startswith("_")})
            self.dedup.remember(alert)

    def close(self) -> None:
        self.client.close()
        if self._producer is not None:
            self._producer.close(timeout=10)

    def _resolve(self, records: Sequence[Record]) -> list[Edge]:
        """Resolve the batch (and judgements made since the last batch): the ``same_as`` edges to link."""
        if self.resolver is None:
            return []
        from resolution.store import EsResolutionStore, memberships_of, refresh_entities

        changes = self.resolver.add(records)
        store = self._resolution_store
        if isinstance(store, EsResolutionStore):
            try:
                for judgement in store.judgements(since=self._judged_until):
                    changes.update(self.resolver.judge(judgement))
                    self._judged_until = max(self._judged_until or judgement.judged_at, judgement.judged_at)
            except Exception as exc:  # judgements are read again next batch
                log.warning("judgements not read: %s", exc)
        affected = refresh_entities(self.resolver, changes)
        self._pending_memberships.extend(memberships_of(self.resolver, affected))
        self._pending_changes.update(changes)
        return entity_edges(self.resolver, affected)

    def _write_memberships(self) -> None:
        from resolution.store import EsResolutionStore, drop_left_links

        store = self._resolution_store
        if not isinstance(store, EsResolutionStore) or not self._pending_memberships:
            return
        memberships, changes = self._pending_memberships, self._pending_changes
        self._pending_memberships, self._pending_changes = [], Changes()
        try:
            store.write_memberships(memberships)
            drop_left_links(changes, self.settings)
        except Exception as exc:
            log.warning("entity memberships not written: %s", exc)

    def _graph_nodes(
        self, records: Sequence[Record], entity_links: Sequence[Edge] = ()
    ) -> tuple[dict[str, Node], list[Node]]:
        """Link the batch, propagate around it: (nodes after propagation, nodes whose risk rose).

        Links of the last seconds are kept in memory and layered over the index while they may not
        be searchable yet, so the batch is read back without forcing an index refresh.
        """
        if not self.link_graph:
            return {}, []
        from graph.analytics import InMemoryGraph, LayeredSource
        from graph.store import EsGraphStore, links_for, propagate_around

        store = self._graph_store if isinstance(self._graph_store, EsGraphStore) else EsGraphStore(self.settings)
        self._graph_store = store
        nodes, edges, ids = links_for(records)
        edges = [*edges, *entity_links]
        ids = sorted({*ids, *(link.src for link in entity_links)})
        if not ids:
            return {}, []
        now = time.monotonic()
        self._recent = [(t, n, e) for t, n, e in self._recent if now - t < RECENT_LINKS_S]
        self._recent.append((now, nodes, edges))
        overlay = InMemoryGraph()
        for _, recent_nodes, recent_edges in self._recent:
            overlay.add(recent_nodes, recent_edges)
        propagation = propagate_around(store, ids, read_from=LayeredSource(store, overlay), write=False)
        # Written after the alerts are out (``_write_graph``): the overlay covers them until then.
        self._pending = (nodes, edges, propagation.changed)
        return {node.id: node for node in propagation.nodes}, propagation.raised

    def _write_graph(self) -> None:
        if self._pending is None:
            return
        from graph.store import EsGraphStore

        nodes, edges, changed = self._pending
        self._pending = None
        store = self._graph_store
        if isinstance(store, EsGraphStore):
            store.upsert(nodes, edges)
            if changed:
                store.write_nodes(changed)

    def score_batch(
        self, records: Sequence[Record], received_at: dict[str, datetime] | None = None
    ) -> tuple[BatchResult, list[Alert]]:
        """Score the batch's targets, and earlier targets whose graph risk the batch raised: (the scores, the
        alerts they raise, one per target, not yet de-duplicated). ``finish_batch`` writes the graph after."""
        result = BatchResult()
        entity_links = self._resolve(records)
        nodes, raised = self._graph_nodes(records, entity_links)
        source = _NodesFirst(self.source, nodes, self.resolver, records)
        in_batch = {record.id for record in records}
        # A booking or seizure arriving after its travellers raises their risk: score them again.
        again: list[Record] = []
        for record_type in ("passenger", "consignment"):
            ids = [n.id for n in raised if n.record_type == record_type and n.id not in in_batch]
            again.extend(source.records(record_type, ids) if ids else [])
        ruleset = self.rules.current()
        now = datetime.now(UTC)
        best: dict[str, TargetScore] = {}
        for record in [*records, *again]:
            if not isinstance(record, (Passenger, Consignment)):
                continue
            score = score_record(
                record,
                related_for(record, source),
                ruleset,
                self.settings.targeting_weights,
                duty_rate=self.settings.targeting_duty_rate,
                now=now,
            )
            result.scores.append(score)
            # One alert per target: the best-scored of its records in the batch stands for it.
            key = alert_key(score)
            if key not in best or (score.score, score.record_id) > (best[key].score, best[key].record_id):
                best[key] = score
        raised_alerts = []
        for score in best.values():  # in the order the targets were scored
            alert = alert_for(
                score, self.settings.alert_threshold, now=now, received_at=(received_at or {}).get(score.record_id)
            )
            if alert is not None:
                raised_alerts.append(alert)
        return result, raised_alerts

    def finish_batch(self) -> None:
        """Write what the batch linked and resolved (after its alerts are out: the overlay covers it until then)."""
        self._write_graph()
        self._write_memberships()

    def handle_batch(self, records: Sequence[Record], received_at: dict[str, datetime] | None = None) -> BatchResult:
        """Score a batch and de-duplicate its alerts in this process's memory (library use and tests; the
        stream, ``run``, de-duplicates on the alert desk so that any number of workers share the targets)."""
        result, raised = self.score_batch(records, received_at)
        for alert in raised:
            (result.alerts if self.dedup.admit(alert) else result.suppressed).append(alert)
        if result.alerts:
            self._emit(result)
        self.finish_batch()
        return result

    def producer(self) -> Any:
        """The Kafka producer this worker keeps open."""
        if self._producer is None:
            from sekisho import kafka_io

            self._producer = kafka_io.producer(self.settings, linger_ms=0)
        return self._producer

    def _emit(self, result: BatchResult) -> None:
        """Alerts out: the alerts topic, the subscribed webhooks, then the alert index."""
        if self.publish_alerts:
            try:
                publish(result.alerts, self.settings, client=self.producer())
            except Exception as exc:  # the webhook path must not wait on a broker hiccup
                log.warning("alerts not published to Kafka: %s", exc)
        result.deliveries.extend(self.dispatch(result.alerts))
        if self.index_alerts:
            try:
                self.index(result.alerts)
            except Exception as exc:
                log.warning("alerts not indexed: %s", exc)

    def index(self, alerts: Sequence[Alert]) -> None:
        """Write alerts to the alert index (by id: writing one again changes nothing)."""
        from schemas.indexed import ALERT_TYPE, INSPECTION_TYPE
        from sekisho import es_io

        if not self._indices_ready:
            es_io.ensure_types([ALERT_TYPE, INSPECTION_TYPE], self.settings)
            self._indices_ready = True
        es_io.write_records(alerts, self.settings)

    def dispatch(self, alerts: Sequence[Alert]) -> list[Delivery]:
        """POST alerts to the subscribed webhooks (``X-Sekisho-Alert-Id`` lets a receiver drop a repeat)."""
        subscriptions = self.subscriptions.list()
        deliveries: list[Delivery] = []
        for alert in alerts:
            deliveries.extend(
                dispatch(
                    alert,
                    subscriptions,
                    self.client,
                    attempts=self.settings.alert_retry_attempts,
                    base_delay_s=self.settings.alert_retry_base_s,
                )
            )
        return deliveries


def records_of(messages: Iterable[bytes]) -> tuple[list[Record], list[str]]:
    """Decode record JSON from the records topic; undecodable messages are reported, not raised."""
    records: list[Record] = []
    rejected: list[str] = []
    for value in messages:
        try:
            records.append(record_from_dict(json.loads(value)))
        except (ValueError, TypeError) as exc:
            rejected.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    return records, rejected


def run(
    settings: Settings,
    *,
    worker: TargetingWorker | None = None,
    group_id: str = "sekisho-targeting",
    from_beginning: bool = False,
    stop: threading.Event | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> None:
    """Run one member of the targeting stream until ``stop`` is set; start as many as wanted.

    Three consumer groups, each polled by a stage on a thread of its own (a stage that fails stops the
    member, whose partitions then go to the other members):

    - score (``group_id``, the records topic): link, score, raise alerts; the alerts go on the candidates
      topic keyed by target and only then are the records' offsets committed;
    - decide (``<group_id>.decide``, the candidates): the alert desk, one alert per target, transactional;
    - deliver (``<group_id>.deliver``, the alerts topic, committed alerts only): the alert index, then the
      webhooks, offsets committed after; a member killed here delivers again (same alert id).
    """
    from sekisho import kafka_io
    from targeting.alert_desk import CANDIDATES, STATE, AlertDesk

    s = settings
    own = worker is None
    active = worker or TargetingWorker(s)
    halt = stop or threading.Event()
    active.warm_up()
    kafka_io.ensure_topics(s, ["records", CANDIDATES, STATE, "alerts"])
    scoring = kafka_io.GroupMember(s.topic("records"), settings=s, group_id=group_id, from_beginning=from_beginning)
    # warm_up read the alerts indexed within the re-alert window into the worker's de-duplication: the desk
    # starts from them where the state topic has nothing (a deployment from before the state topic).
    desk = AlertDesk(s, group_id=group_id, transaction_timeout_ms=s.alert_transaction_timeout_ms,
                     escalation=active.dedup.escalation, seed=active.dedup.entries())
    delivering = kafka_io.GroupMember(s.topic("alerts"), settings=s, group_id=f"{group_id}.deliver")
    candidates = s.topic(CANDIDATES)
    ending = threading.Event()
    failures: list[BaseException] = []
    reporting = threading.Lock()

    def report(result: BatchResult) -> None:
        if on_batch is not None and (result.scores or result.alerts or result.suppressed or result.deliveries
                                     or result.rejected):
            with reporting:
                on_batch(result)

    def score() -> None:
        result = BatchResult()
        _score(active, scoring, result, candidates)
        active.finish_batch()
        report(result)

    def decide() -> None:
        decisions = desk.decide(STAGE_WAIT_MS)
        report(BatchResult(alerts=decisions.alerts, suppressed=decisions.suppressed,
                           rejected=list(decisions.rejected)))

    def deliver() -> None:
        result = BatchResult()
        _deliver(active, delivering, result)
        report(result)

    def loop(step: Callable[[], None]) -> None:
        try:
            while not ending.is_set():
                step()
        except BaseException as exc:  # one stage down stops the member; its partitions go to the others
            failures.append(exc)
            ending.set()

    # Each stage polls its own consumer group on its own thread, so a record's alert is decided while
    # the next records are scored and delivered while the next candidates are decided.
    threads = [threading.Thread(target=loop, args=(step,), name=f"targeting-{step.__name__}", daemon=True)
               for step in (score, decide, deliver)]
    try:
        for thread in threads:
            thread.start()
        while not halt.is_set() and not ending.is_set():
            halt.wait(0.2)
    finally:
        ending.set()
        for thread in threads:
            thread.join(timeout=60)
        for member in (scoring, desk, delivering):
            with contextlib.suppress(Exception):
                member.close()
        if own:
            active.close()
    if failures:
        raise failures[0]


def _score(worker: TargetingWorker, member: GroupMember, result: BatchResult, candidates: str) -> None:
    """The score stage of one poll: records in, alert candidates out, then the records' offsets."""
    batch = member.poll(STAGE_WAIT_MS)
    if not batch:
        return
    records: list[Record] = []
    arrived: dict[str, datetime] = {}
    for message in batch:
        decoded, failed = records_of([message.value])
        result.rejected.extend(failed)
        for record in decoded:
            records.append(record)
            arrived[record.id] = datetime.fromtimestamp(message.timestamp_ms / 1000, UTC)
    scored, raised = worker.score_batch(records, arrived)
    result.scores.extend(scored.scores)
    try:
        if raised:
            publish(raised, worker.settings, client=worker.producer(), topic=candidates)
        member.commit(batch)
    except Exception as exc:  # not handed on: score the batch again rather than lose its alerts
        log.warning("alert candidates not published, records read again: %s", exc)
        member.rewind(batch)


def _deliver(worker: TargetingWorker, member: GroupMember, result: BatchResult) -> None:
    """The deliver stage of one poll: committed alerts to the index, then to the webhooks."""
    batch = member.poll(STAGE_WAIT_MS)
    if not batch:
        return
    alerts = []
    for message in batch:
        try:
            alerts.append(Alert.model_validate_json(message.value))
        except ValueError as exc:
            result.rejected.append(f"alert at {message.partition}/{message.offset}: {str(exc)[:200]}")
    if worker.index_alerts:
        try:
            worker.index(alerts)
        except Exception as exc:  # before any webhook: the whole batch is delivered again
            log.warning("alerts not indexed, read again: %s", exc)
            member.rewind(batch)
            return
    result.deliveries.extend(worker.dispatch(alerts))
    member.commit(batch)
