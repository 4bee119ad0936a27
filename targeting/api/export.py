"""Watchlist export for enforcement: CSV or FollowTheMoney entities (JSON lines), streamed page by page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Literal

from followthemoney import model

from graph.model import Node
from targeting.api.store import Store
from targeting.api.views import WatchlistEntry, WatchlistFilter

ExportFormat = Literal["csv", "ftm"]
GRAPH_LIST = "sekisho-graph-risk"  # entities the link graph found risky, next to the official lists
GRAPH_LIST_MIN_RISK = 0.3  # below this an entity is not worth an enforcement team's attention
CSV_COLUMNS = [
    "id",
    "list_name",
    "schema",
    "name",
    "aliases",
    "countries",
    "birth_date",
    "identifiers",
    "risk",
    "updated",
    "reason",
]
PAGE = 500


def is_watch_worthy(node: Node, floor: float = GRAPH_LIST_MIN_RISK) -> bool:
    """A person or company whose propagated or screening risk reaches ``floor``."""
    return node.kind in ("person", "company") and max(node.graph_risk, node.screening_score) >= floor


def risky_node_view(node: Node, updated: date | None = None) -> WatchlistEntry:
    return WatchlistEntry(
        id=node.id,
        list_name=GRAPH_LIST,
        schema_name="Person" if node.kind == "person" else "Company",
        name=node.label,
        risk=round(max(node.graph_risk, node.screening_score), 4),
        updated=updated,
        reason=node.risk_explanation,
    )


def csv_row(entry: WatchlistEntry) -> list[str]:
    return [
        entry.id,
        entry.list_name,
        entry.schema_name,
        entry.name,
        "; ".join(entry.aliases),
        "; ".join(entry.countries),
        entry.birth_date or "",
        "; ".join(entry.identifiers),
        "" if entry.risk is None else f"{entry.risk:.4f}",
        entry.updated.isoformat() if entry.updated else "",
        entry.reason or "",
    ]


def csv_lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def ftm_entity(entry: WatchlistEntry) -> dict[str, object]:
    """The entry as a FollowTheMoney entity; unknown schemata fall back to ``LegalEntity``."""
    schema = entry.schema_name if model.get(entry.schema_name) is not None else "LegalEntity"
    proxy = model.make_entity(schema)
    proxy.id = entry.id
    proxy.add("name", entry.name)
    proxy.add("alias", entry.aliases)
    proxy.add("country", [c.lower() for c in entry.countries], quiet=True)
    proxy.add("topics", "sanction" if entry.risk is None else "crime", quiet=True)
    proxy.add("program", entry.list_name, quiet=True)
    if entry.reason:
        proxy.add("notes", entry.reason, quiet=True)
    if entry.birth_date and proxy.schema.get("birthDate") is not None:
        proxy.add("birthDate", entry.birth_date, quiet=True)
    if entry.updated:
        proxy.add("modifiedAt", entry.updated.isoformat(), quiet=True)
    data: dict[str, object] = proxy.to_dict()
    if entry.risk is not None:
        data["risk"] = entry.risk  # Sekisho's score, kept next to the entity (not an FtM property)
    return data


def one_row_per_entity(store: Store, page: list[WatchlistEntry], flt: WatchlistFilter) -> list[WatchlistEntry]:
    """The graph list's rows with the records of one canonical entity (the API and PNR records of one
    traveller, the party records of one company) in one row: the row of its first risky record, with the
    others' names as aliases and the highest risk. Which row stands for an entity depends on the entity
    alone, so a row dropped here is dropped on every page, and the ``after`` cursor stays valid."""
    graph_rows = [row for row in page if row.list_name == GRAPH_LIST]
    found = store.memberships_of([row.id for row in graph_rows]) if graph_rows else {}
    entity_of = {record_id: membership.entity_id for record_id, membership in found.items()}
    members = {m.entity_id: list(m.members) for m in found.values() if len(m.members) > 1}
    if not members:
        return page
    floor = max(GRAPH_LIST_MIN_RISK, flt.min_risk or 0.0)
    wanted = sorted({member for ids in members.values() for member in ids})
    risky = {node.id: node for node in store.nodes(wanted) if is_watch_worthy(node, floor)}
    kept: list[WatchlistEntry] = []
    for row in page:
        group = members.get(entity_of.get(row.id, row.id)) if row.list_name == GRAPH_LIST else None
        if group is None:
            kept.append(row)
            continue
        others = [risky[member] for member in group if member in risky and member != row.id]
        if any(other.id < row.id for other in others):
            continue  # an earlier record of the same entity stands for it
        aliases = sorted({other.label for other in others if other.label != row.name} | set(row.aliases))
        risk = max([row.risk or 0.0, *(max(o.graph_risk, o.screening_score) for o in others)])
        kept.append(row.model_copy(update={"aliases": aliases, "risk": round(risk, 4)}))
    return kept


def entries(store: Store, flt: WatchlistFilter, after: str | None, limit: int | None) -> Iterator[WatchlistEntry]:
    """Entries in id order from ``after`` on, one per canonical entity; ``limit=None`` walks every page."""
    sent = 0
    cursor = after
    while limit is None or sent < limit:
        size = PAGE if limit is None else min(PAGE, limit - sent)
        page = store.watchlist(flt, cursor, size)
        shown = one_row_per_entity(store, page, flt)
        yield from shown
        sent += len(shown)
        if len(page) < size:
            return
        cursor = page[-1].id


def filtered(rows: Iterator[WatchlistEntry], keep: Callable[[list[WatchlistEntry]], list[WatchlistEntry]]
             ) -> Iterator[WatchlistEntry]:
    """``rows`` with ``keep`` applied page by page (what a caller may see of each page)."""
    page: list[WatchlistEntry] = []
    for entry in rows:
        page.append(entry)
        if len(page) >= PAGE:
            yield from keep(page)
            page = []
    if page:
        yield from keep(page)


def render(fmt: ExportFormat, rows: Iterator[WatchlistEntry]) -> Iterator[str]:
    """The export body in chunks (one per page of entries), so memory stays flat on big lists."""
    if fmt == "csv":
        yield csv_lines([CSV_COLUMNS])
    chunk: list[WatchlistEntry] = []

    def flush() -> str:
        if fmt == "csv":
            return csv_lines([csv_row(e) for e in chunk])
        return "".join(json.dumps(ftm_entity(e), ensure_ascii=False, sort_keys=True) + "\n" for e in chunk)

    for entry in rows:
        chunk.append(entry)
        if len(chunk) >= PAGE:
            yield flush()
            chunk = []
    if chunk:
        yield flush()
