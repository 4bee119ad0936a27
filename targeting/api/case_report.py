"""A case as one standalone HTML page for a partner agency or a prosecutor: what the case is, its legal
basis, a picture of its graph (inline SVG drawn here, no script, nothing loaded from elsewhere), why each
entity carries risk, its alerts, screening decisions, evidence and notes.

Every value is escaped; the page has no script, so it may be opened anywhere, offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from graph.analytics import layout
from targeting.api.case_file import CaseFile
from targeting.api.views import GraphNode

WIDTH, HEIGHT = 960.0, 600.0
LABEL_CHARS = 28
CHAR_WIDTH, LABEL_HEIGHT = 7.2, 14.0  # the report's 11px sans-serif, roughly
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1d2733; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #ccd5df;
padding-bottom: .2rem; margin-top: 1.8rem; } table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #e3e8ee; }
.meta td:first-child { color: #5a6878; width: 12rem; } .why { color: #3d4b5c; margin: .1rem 0 .1rem 1rem; }
.sev-critical { color: #a61b1b; font-weight: 600; } .sev-high { color: #b35900; font-weight: 600; }
svg { border: 1px solid #ccd5df; background: #fbfcfd; width: 100%; height: auto; }
svg .edge { stroke: #9aa8b8; stroke-width: 1.2; } svg .edge.on-path { stroke: #c0392b; stroke-width: 3.5; }
svg .node { stroke: #fff; stroke-width: 1.5; } svg .node.centre { stroke: #1d2733; stroke-width: 3; }
svg text { font: 11px system-ui, sans-serif; fill: #1d2733; paint-order: stroke; stroke: #fbfcfd;
stroke-width: 3px; } .legend span { display: inline-block; margin-right: 1rem; }
.dot { display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; vertical-align: middle; }
footer { margin-top: 2rem; color: #5a6878; font-size: 12px; }
"""
COLOURS = {"watchlisted": "#c0392b", "risky": "#e67e22", "plain": "#5d7fa3"}


def _colour(node: GraphNode) -> str:
    if node.watchlisted or node.seized:
        return COLOURS["watchlisted"]
    return COLOURS["risky"] if (node.risk or 0.0) >= 0.3 else COLOURS["plain"]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _overlaps(box: tuple[float, float, float, float], placed: Iterable[tuple[float, float, float, float]]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in placed)


def graph_svg(file: CaseFile) -> str:
    """The case's graph as inline SVG: one node per resolved entity (with its count of records), case
    entities ringed, explanation paths in red, labels that do not overlap (the case's entities, path nodes and
    listed ones first; a left-out label stays as a tooltip)."""
    graph = file.graph
    if not graph.nodes:
        return "<p>No graph: the case has no entity yet.</p>"
    pos = layout([n.id for n in graph.nodes], [(e.source, e.target) for e in graph.edges], width=WIDTH,
                 height=HEIGHT, margin=50.0)
    on_path_nodes = {n for p in graph.paths for n in p.nodes}
    on_path_edges = {e for p in graph.paths for e in p.edges}
    centres = set(file.centres)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="img" '
             f'aria-label="graph of case {escape(file.case.id)}">']
    for e in sorted(graph.edges, key=lambda e: e.id in on_path_edges):  # path edges drawn last, on top
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        cls = "edge on-path" if e.id in on_path_edges else "edge"
        parts.append(f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}">'
                     f'<title>{escape(e.relation.replace("_", " "))}</title></line>')
    first = sorted(graph.nodes, key=lambda n: (n.id not in centres, n.id not in on_path_nodes, not n.watchlisted,
                                               -(n.risk or 0.0), n.label))
    radius_of = {n.id: 12.0 if n.id in centres else 8.0 for n in first}
    # Labels keep clear of every circle and of the labels placed before them (right of the node, else left).
    placed = [(pos[i][0] - r, pos[i][1] - r, pos[i][0] + r, pos[i][1] + r) for i, r in radius_of.items()]
    for node in first:
        x, y = pos[node.id]
        radius = radius_of[node.id]
        cls = "node centre" if node.id in centres else "node"
        tip = f"{node.label} ({node.kind}" + (f", risk {node.risk:.2f}" if node.risk is not None else "") + ")" + (
            f", one entity of {len(node.members)} records: {', '.join(node.members)}" if node.members else "")
        parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.0f}" fill="{_colour(node)}" '
                     f'data-id="{escape(node.id)}" data-label="{escape(node.label)}" data-kind="{escape(node.kind)}">'
                     f'<title>{escape(tip)}</title></circle>')
        label = _short(node.label) + (f" ({len(node.members)} records)" if node.members else "") + (
            f" · {node.list_name}" if node.kind == "watchlist_entry" and node.list_name else "")
        width = len(label) * CHAR_WIDTH
        # Right of the node, else left, else below, else above (a path drawn along the edge of the picture).
        below, above = y + radius + 2 + LABEL_HEIGHT / 2, y - radius - 2 - LABEL_HEIGHT / 2
        centred = min(max(x - width / 2, 2.0), WIDTH - 2 - width)
        for left, middle in ((x + radius + 3, y), (x - radius - 3 - width, y), (centred, below), (centred, above)):
            box = (left, middle - LABEL_HEIGHT / 2, left + width, middle + LABEL_HEIGHT / 2)
            if left >= 2 and box[2] <= WIDTH - 2 and box[1] >= 0 and box[3] <= HEIGHT and not _overlaps(box, placed):
                placed.append(box)
                parts.append(f'<text x="{left:.1f}" y="{middle + 4:.1f}">{escape(label)}</text>')
                break
    parts.append("</svg>")
    return "".join(parts)


def _list(items: Iterable[str], empty: str) -> str:
    rows = [f"<li>{item}</li>" for item in items]
    return f"<ul>{''.join(rows)}</ul>" if rows else f"<p>{escape(empty)}</p>"


def render(file: CaseFile, *, exported_by: str, exported_at: datetime) -> str:
    case = file.case
    labels = {n.id: n.label for n in file.graph.nodes}
    meta = [
        ("Case", case.id), ("Title", case.title), ("State", case.state + (
            f" (closed by {case.closed_by} on {case.closed_at:%Y-%m-%d %H:%M} UTC)" if case.closed_at else "")),
        ("Owner", case.owner), ("Legal basis", case.legal_basis),
        ("PNR access cites", f"X-Sekisho-Purpose: case:{case.id} · X-Sekisho-Legal-Basis: {case.legal_basis}"),
        ("Opened from", f"{case.opened_from} {case.origin_id} on {case.created_at:%Y-%m-%d %H:%M} UTC"),
    ]
    hidden = [f"{escape(labels.get(c, c))}: {n} further neighbours not drawn" for c, n in file.not_drawn.items()]
    entities = []
    for entity_id in file.centres:
        node = file.node(entity_id)
        if node is None:
            entities.append(f"<tr><td>{escape(entity_id)}</td><td>–</td><td>–</td><td>not in the graph</td></tr>")
            continue
        risk = "–" if node.risk is None else f"{node.risk:.2f}"
        flag = (" · listed" if node.watchlisted else "") + (f" · {len(node.members)} records" if node.members else "")
        entities.append(f"<tr><td>{escape(node.label)}</td><td>{escape(node.kind)}{flag}</td><td>{risk}</td>"
                        f"<td>{escape(node.explanation or 'no risk reached it')}</td></tr>")
    paths = [f"{escape(p.explanation)} <em>(risk {p.risk:.2f})</em>" for p in file.graph.paths]
    alerts = [
        f'<span class="sev-{a.severity}">{escape(a.severity)}</span> {escape(a.title)} · score {a.score:.2f} · '
        f"{a.created_at:%Y-%m-%d %H:%M} UTC"
        + "".join(f'<div class="why">{escape(w)}</div>' for w in [*a.reasons, *a.explanation])
        for a in file.alerts
    ]
    decisions = [
        f"{escape(d.verdict.replace('_', ' '))}: {escape(d.subject_name)} / {escape(d.matched_name)} "
        f"({escape(d.list_name)} {escape(d.entry_id)}) by {escape(d.decided_by)} on {d.decided_at:%Y-%m-%d}"
        + ("" if d.in_force else f" — reversed by {escape(d.reversed_by or '?')}")
        + (f'<div class="why">{escape(d.note)}</div>' if d.note else "")
        for d in file.decisions
    ]
    evidence = [
        (f'<a href="{escape(e.ref)}">{escape(e.label)}</a>' if e.ref.startswith(("http://", "https://"))
         else f"{escape(e.label)}: archived copy <code>{escape(e.ref)}</code>")
        + f" (added by {escape(e.added_by)} on {e.added_at:%Y-%m-%d})"
        for e in case.evidence
    ]
    notes = [f"{n.at:%Y-%m-%d %H:%M} {escape(n.author)}: {escape(n.text)}" for n in case.notes]
    legend = "".join(f'<span><i class="dot" style="background:{c}"></i> {k}</span>' for k, c in COLOURS.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Case {escape(case.id)}: {escape(case.title)}</title>
<style>{STYLE}</style></head><body>
<h1>Case {escape(case.id)}: {escape(case.title)}</h1>
<table class="meta">{"".join(f"<tr><td>{k}</td><td>{escape(v)}</td></tr>" for k, v in meta)}</table>
<h2>Graph</h2>
{graph_svg(file)}
<p class="legend">{legend}<span>ringed: the case's entities</span><span>red lines: explanation paths</span></p>
{_list(hidden, "")if hidden else ""}
<h2>Why: paths to listed or seized nodes</h2>
{_list(paths, "No path to a listed or seized node within six hops.")}
<h2>Entities</h2>
<table><tr><th>entity</th><th>kind</th><th>risk</th><th>how the risk reached it</th></tr>{"".join(entities)}</table>
<h2>Alerts</h2>
{_list(alerts, "No alert in this case.")}
<h2>Screening decisions</h2>
{_list(decisions, "No screening decision in this case.")}
<h2>Evidence</h2>
{_list(evidence, "No evidence link in this case.")}
<h2>Notes</h2>
{_list(notes, "No note.")}
<footer>Exported from Sekisho by {escape(exported_by)} on {exported_at:%Y-%m-%d %H:%M} UTC. The same case as
FollowTheMoney entities: <code>GET /api/cases/{escape(case.id)}/export</code>.</footer>
</body></html>
"""
