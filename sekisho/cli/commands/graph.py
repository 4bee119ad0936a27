"""`sekisho graph explain | link | propagate | neighbours`: the link graph from the command line.

Every command reads the graph in Elasticsearch, or with ``--records FILE.jsonl`` (canonical JSON
records, one per line) builds it in memory from those records instead, which needs no stack.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graph.analytics import Subgraph, ego_network, extract, paths_to_watchlist
from graph.model import Node
from sekisho.settings import get_settings

app = typer.Typer(
    help="Explore the link graph: paths to watchlisted nodes, neighbourhoods, risk.", no_args_is_help=True
)
console = Console()

RecordsOption = typer.Option(None, "--records", help="canonical JSON records (JSONL) to build the graph from")


def _subgraph(start: str, depth: int, records: list[Path] | None) -> Subgraph:
    if records:
        from targeting.sources import MemorySource

        source = MemorySource.from_jsonl(records)
        return extract(source.graph, [start], depth=depth)
    from graph.store import EsGraphStore, refresh_risk

    store = EsGraphStore(get_settings())
    fresh = {node.id: node for node in refresh_risk(store, [start], depth=depth)}
    sub = extract(store, [start], depth=depth)
    return Subgraph({k: fresh.get(k, v) for k, v in sub.nodes.items()}, sub.edges)


@app.command()
def explain(
    node_id: str = typer.Argument(..., help="a record id or node id"),
    depth: int = typer.Option(6, help="hops to search for watchlisted or seized nodes"),
    limit: int = typer.Option(3, help="paths to show"),
    records: list[Path] = RecordsOption,
    as_json: bool = typer.Option(False, "--json", help="print the paths as JSON"),
) -> None:
    """Print the strongest paths from ID to watchlisted or previously seized nodes, as sentences."""
    sub = _subgraph(node_id, depth, records)
    if node_id not in sub.nodes:
        console.print(f"[red]no graph node {node_id}[/]")
        raise typer.Exit(1)
    paths = paths_to_watchlist(sub, node_id, limit=limit, max_hops=depth)
    if as_json:
        typer.echo(json.dumps([{"risk": p.risk, "sentence": p.sentence, "nodes": p.node_ids} for p in paths], indent=2))
        return
    node = sub.nodes[node_id]
    console.print(f"[bold]{escape(node.label)}[/] ({node.kind}) graph risk {node.graph_risk:.2f}")
    if not paths:
        console.print(f"no path to a watchlisted or seized node within {depth} hops")
        return
    for number, path in enumerate(paths, 1):
        console.print(f"{number}. [bold]{path.risk:.2f}[/] {escape(path.sentence)}")
        console.print("   " + escape(" -> ".join(sub.nodes[n].label for n in path.node_ids)), style="dim")


@app.command()
def neighbours(
    node_id: str = typer.Argument(...),
    depth: int = typer.Option(1, help="radius of the ego network"),
    records: list[Path] = RecordsOption,
) -> None:
    """List the ego network of a node: its neighbours to DEPTH hops and how they connect."""
    sub = ego_network(_subgraph(node_id, depth, records), node_id, depth)
    table = Table("kind", "label", "graph risk", "flags", "id")
    for node in sorted(sub.nodes.values(), key=lambda n: (-n.graph_risk, n.kind, n.label)):
        table.add_row(node.kind, escape(node.label), f"{node.graph_risk:.2f}", _flags(node), node.id)
    console.print(table)
    console.print(f"{len(sub.nodes)} nodes, {len(sub.edges)} edges")


def _flags(node: Node) -> str:
    flags = [name for name, on in (("watchlisted", node.watchlisted), ("seized", node.seized)) if on]
    return ", ".join(flags)


@app.command()
def link(records: list[Path] = typer.Argument(..., help="canonical JSON records (JSONL)")) -> None:
    """Link records from files into the graph indices in Elasticsearch (the stream does this live)."""
    from graph.store import EsGraphStore, link_records, refresh_risk
    from targeting.sources import MemorySource

    source = MemorySource.from_jsonl(records)
    store = EsGraphStore(get_settings())
    store.ensure()
    written, ids = link_records(source.all(), store)
    store.refresh()
    refresh_risk(store, ids)
    store.refresh()
    console.print(f"linked {len(ids)} records: {written} node and edge documents written")


@app.command()
def propagate(
    around: list[str] = typer.Argument(..., help="node ids whose neighbourhood to recompute"),
    depth: int = typer.Option(6, help="hops around the nodes"),
) -> None:
    """Recompute graph risk around some nodes in Elasticsearch and write it back."""
    from graph.store import EsGraphStore, refresh_risk

    store = EsGraphStore(get_settings())
    nodes = refresh_risk(store, around, depth=depth)
    store.refresh()
    risky = sorted((n for n in nodes if n.graph_risk > 0), key=lambda n: -n.graph_risk)[:15]
    table = Table("graph risk", "kind", "label", "explanation")
    for node in risky:
        table.add_row(f"{node.graph_risk:.2f}", node.kind, escape(node.label), escape(node.risk_explanation or ""))
    console.print(table)
