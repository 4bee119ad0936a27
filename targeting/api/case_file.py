"""A case's file: everything it points to, read from the store, and its FollowTheMoney export.

The graph of a case is the one-hop neighbourhood of each of its entities (and of its alerts' records)
with their strongest explanation paths, each resolved entity drawn as one node (``entity_fold``); around
a hub (a flight, a busy forwarder) only the riskiest neighbours are kept and the others counted, so the
picture stays readable.

The FtM export (``followthemoney``) is data-driven: ``SCHEMA_OF`` maps a graph node kind to an FtM
schema, every edge becomes an ``UnknownLink`` with its relation as role, the case a ``Project``, and
its alerts, screening decisions and notes ``Note`` entities about what they concern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from followthemoney import model

from schemas.documents import Alert, Case, ScreeningDecision
from schemas.records import make_id
from targeting.api.entities import latest_per_target
from targeting.api.entity_fold import fold_entities
from targeting.api.neighbourhood import neighbourhood
from targeting.api.store import Store
from targeting.api.views import GraphEdge, GraphNode, GraphPath, GraphView

MAX_NEIGHBOURS = 8  # neighbours drawn around each case entity besides its explanation paths
SCHEMA_OF: dict[str, str] = {
    "person": "Person",
    "passenger": "Person",
    "company": "Company",
    "travel_agency": "Company",
    "address": "Address",
    "flight": "Trip",
    "flight_leg": "Trip",
    "vessel": "Vessel",
    "watchlist_entry": "LegalEntity",
    "consignment": "Event",
    "booking": "Event",
}
OTHER_SCHEMA = "Note"  # phones, e-mails, containers, documents...: kept, described by their kind


@dataclass
class CaseFile:
    case: Case
    alerts: list[Alert]
    decisions: list[ScreeningDecision]
    graph: GraphView
    centres: list[str]  # the case's entities and its alerts' records
    not_drawn: dict[str, int] = field(default_factory=dict)  # centre -> neighbours left out of the picture

    def node(self, node_id: str) -> GraphNode | None:
        return next((n for n in self.graph.nodes if n.id == node_id), None)


def gather(store: Store, case: Case, max_neighbours: int = MAX_NEIGHBOURS) -> CaseFile:
    alerts = [latest_per_target(found)[0] for found in (store.alerts_keyed(k) for k in case.alerts) if found]
    decisions = [d for d in (store.screening_decision(i) for i in case.decisions) if d is not None]
    records = list(dict.fromkeys([*case.entities, *(a.record_id for a in alerts)]))
    nodes: dict[str, GraphNode] = {}
    edges: dict[str, GraphEdge] = {}
    paths: list[GraphPath] = []
    not_drawn: dict[str, int] = {}
    centres: list[str] = []
    for record in records:
        view = fold_entities(neighbourhood(store, record, depth=1, path_depth=6, max_paths=3))
        centre = view.center  # the entity of the record
        if centre in centres:
            continue
        centres.append(centre)
        keep = {centre, *(n for p in view.paths for n in p.nodes)}
        around = sorted((n for n in view.nodes if n.id not in keep), key=lambda n: (-(n.risk or 0.0), n.label))
        keep.update(n.id for n in around[:max_neighbours])
        if len(around) > max_neighbours:
            not_drawn[centre] = len(around) - max_neighbours
        for node in (n for n in view.nodes if n.id in keep):
            seen = nodes.get(node.id)
            nodes[node.id] = node if seen is None or len(seen.members) <= len(node.members) else seen
        edges.update((e.id, e) for e in view.edges if e.source in keep and e.target in keep)
        paths.extend(p for p in view.paths if p not in paths)
    # Folded again as a whole: two centres' views may each have kept another record's edge of a relation.
    graph = fold_entities(GraphView(center=centres[0] if centres else case.id,
                                    nodes=sorted(nodes.values(), key=lambda n: n.id),
                                    edges=sorted(edges.values(), key=lambda e: e.id), paths=paths))
    return CaseFile(case=case, alerts=alerts, decisions=decisions, graph=graph, centres=centres,
                    not_drawn=not_drawn)


def case_entity_id(case: Case) -> str:
    return f"sekisho-case-{case.id}"


def _entity(schema: str, entity_id: str, **props: str | None) -> dict[str, object]:
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    for name, value in props.items():
        if value is not None and proxy.schema.get(name) is not None:
            proxy.add(name, value, quiet=True)  # a value FtM cannot clean is left out, never a crash
    data: dict[str, object] = proxy.to_dict()
    return data


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def node_entity(node: GraphNode) -> dict[str, object]:
    schema = SCHEMA_OF.get(node.kind, OTHER_SCHEMA)
    why = [f"Sekisho {node.kind}" + (f", risk {node.risk:.2f}" if node.risk is not None else ""),
           *([node.explanation] if node.explanation else []),
           *([f"one entity of {len(node.members)} records: {', '.join(node.members)}"] if node.members else [])]
    return _entity(schema, node.id, name=node.label, full=node.label if schema == "Address" else None,
                   topics="sanction" if node.watchlisted else None, program=node.list_name, description="; ".join(why))


def ftm_entities(file: CaseFile) -> Iterator[dict[str, object]]:
    """The case as FollowTheMoney entities: the case, its graph, alerts, decisions, evidence and notes."""
    case = file.case
    project = case_entity_id(case)
    yield _entity("Project", project, name=case.title, status=case.state, startDate=case.created_at.date().isoformat(),
                  summary=f"Sekisho case {case.id}, legal basis {case.legal_basis}, owner {case.owner}, opened from "
                          f"{case.opened_from} {case.origin_id}", createdAt=_when(case.created_at))
    for node in file.graph.nodes:
        yield node_entity(node)
    for e in file.graph.edges:
        said = [*([e.detail] if e.detail else []), *([f"archived copy {e.evidence}, source grade {e.grade}"]
                                                      if e.evidence else [])]
        yield _entity("UnknownLink", e.id, subject=e.source, object=e.target, role=e.relation.replace("_", " "),
                      description="; ".join(said) or None)
    for a in file.alerts:
        yield _entity("Note", make_id("note", case.id, a.id), entity=a.record_id, name=a.title, createdAt=_when(
            a.created_at), description="\n".join([*a.reasons, *a.explanation]), topics="crime")
    for d in file.decisions:
        state = "in force" if d.in_force else f"reversed by {d.reversed_by}"
        yield _entity("Note", make_id("note", case.id, d.id), entity=d.entity_id or d.record_id,
                      name=f"screening {d.verdict.replace('_', ' ')}: {d.subject_name} / {d.matched_name} "
                           f"({d.list_name} {d.entry_id})",
                      description=f"decided by {d.decided_by}, {state}" + (f": {d.note}" if d.note else ""),
                      createdAt=_when(d.decided_at))
    for link in case.evidence:
        document = make_id("document", case.id, link.ref)
        url = link.ref if link.ref.startswith(("http://", "https://")) else None
        yield _entity("Document", document, title=link.label, name=link.label, sourceUrl=url,
                      description=None if url else f"archived copy {link.ref} (Sekisho evidence store)")
        yield _entity("Documentation", make_id("documentation", case.id, link.ref), document=document, entity=project,
                      role="evidence", date=link.added_at.date().isoformat())
    for n in case.notes:
        yield _entity("Note", make_id("note", case.id, _when(n.at), n.author, n.text), entity=project,
                      name=f"note by {n.author}", description=n.text, createdAt=_when(n.at))
