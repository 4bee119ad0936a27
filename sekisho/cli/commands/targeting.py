"""`sekisho targeting ...`: the inspection queue, scores, rules, officers' results and alerts.

Commands read Elasticsearch, or with ``--records FILE.jsonl`` (canonical JSON records) work on those
records alone, graph included, with no stack running.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sekisho.settings import Settings, get_settings
from targeting.queue import InspectionQueue
from targeting.rules import RuleBook
from targeting.sources import EsSource, MemorySource, TargetSource

app = typer.Typer(
    help="Targeting: the day's inspection queue, scores, analyst rules, results and alerts.",
    no_args_is_help=True,
)
console = Console()

RecordsOption = typer.Option(None, "--records", help="canonical JSON records (JSONL) instead of Elasticsearch")


def _source(records: list[Path] | None) -> TargetSource:
    return MemorySource.from_jsonl(records) if records else EsSource(get_settings())


def _rules(rules_dir: Path | None) -> RuleBook:
    book = RuleBook(rules_dir or get_settings().targeting_rules_dir)
    book.current()
    if book.error:
        console.print(f"[red]rules:[/] {book.error}")
        raise typer.Exit(2)
    return book


@app.command()
def queue(
    port: str = typer.Option(..., help="arrival airport or port code, e.g. NRT"),
    day: str = typer.Option(..., "--date", help="arrival day, YYYY-MM-DD"),
    xray: int = typer.Option(None, help="X-ray slots (default: setting targeting_xray_slots)"),
    exams: int = typer.Option(None, help="physical examinations (default: setting targeting_exam_slots)"),
    random_share: float = typer.Option(None, help="share of capacity drawn at random (default: setting)"),
    seed: int = typer.Option(0, help="seed of the random selection"),
    records: list[Path] = RecordsOption,
    rules_dir: Path = typer.Option(None, help="rules directory (default: setting targeting_rules_dir)"),
    as_json: bool = typer.Option(False, "--json", help="print the queue as JSON"),
) -> None:
    """Print the ranked, explained X-ray and examination queue of PORT on DATE within capacity."""
    from targeting.sources import queue_for

    result = queue_for(
        port,
        date.fromisoformat(day),
        source=_source(records),
        rules=_rules(rules_dir).current(),
        xray=xray,
        exams=exams,
        random_share=random_share,
        seed=seed,
        settings=get_settings(),
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    print_queue(result)


def print_queue(result: InspectionQueue, limit: int | None = None) -> None:
    table = Table(title=f"Inspection queue {result.port} {result.day.isoformat()}", show_lines=True)
    for column in ("#", "inspection", "selection", "target", "score", "exp. value", "why"):
        table.add_column(column, overflow="fold")
    for pick in result.picks[:limit]:
        why = pick.reason if pick.selection == "random" else "\n".join(pick.explanation[:4]) or pick.reason
        table.add_row(
            str(pick.rank),
            pick.inspection,
            pick.selection,
            f"{escape(pick.label)}\n[dim]{pick.record_id}[/]",
            f"{pick.score:.2f}",
            f"{pick.expected_value:.2f}",
            escape(why),
        )
    console.print(table)
    console.print(
        f"{len(result.picks)} picks from {result.candidates} candidates "
        f"(capacity: {result.capacity.exams} exams, {result.capacity.xray} X-ray; "
        f"{result.random_share:.0%} random, seed {result.seed}); expected findings "
        f"{result.expected_findings:.2f}, expected revenue {result.expected_revenue:,.0f}"
    )


def _one(record_id: str, source: TargetSource) -> Any:
    for record_type in ("passenger", "consignment"):
        found = source.records(record_type, [record_id])
        if found:
            return found[0]
    console.print(f"[red]no passenger or consignment {record_id}[/]")
    raise typer.Exit(1)


@app.command()
def score(
    record_id: str = typer.Argument(...),
    records: list[Path] = RecordsOption,
    rules_dir: Path = typer.Option(None),
    facts: bool = typer.Option(False, help="also print the facts the rules saw"),
) -> None:
    """Score one passenger or consignment and show every part of the score."""
    from targeting.facts import facts_of
    from targeting.scoring import score_record
    from targeting.sources import related_for

    s = get_settings()
    source = _source(records)
    record = _one(record_id, source)
    related = related_for(record, source)
    result = score_record(
        record, related, _rules(rules_dir).current(), s.targeting_weights, duty_rate=s.targeting_duty_rate
    )
    title = f"{escape(result.label)}: {result.score:.2f}"
    table = Table("part", "value", "weight", "contribution", "reasons", title=title)
    for part in result.parts:
        table.add_row(
            part.name,
            f"{part.value:.2f}",
            f"{part.weight:.2f}",
            f"{part.contribution:.2f}",
            escape("\n".join(part.reasons)),
        )
    console.print(table)
    if facts:
        typer.echo(json.dumps(facts_of(record, related), indent=2, default=str))


@app.command("rules")
def rules_check(
    rules_dir: Path = typer.Argument(None, help="directory or file (default: the setting)"),
) -> None:
    """Check analyst rules and list them; exit 2 when a file does not load."""
    book = _rules(rules_dir)
    table = Table("id", "applies to", "weight", "severity", "alert", "title")
    for rule in book.current().rules:
        table.add_row(
            rule.id,
            ", ".join(rule.applies_to),
            f"{rule.weight:.2f}",
            rule.severity,
            "yes" if rule.alert else "",
            rule.title,
        )
    console.print(table)


@app.command()
def result(
    record_id: str = typer.Argument(..., help="the inspected passenger or consignment"),
    outcome: str = typer.Option(..., help="nothing_found | seizure | revenue_recovered"),
    record_type: str = typer.Option("consignment", help="passenger or consignment"),
    revenue: float = typer.Option(0.0, help="revenue recovered"),
    officer: str = typer.Option(None),
    port: str = typer.Option(None),
    selection: str = typer.Option("other", help="model | random | other (how it was chosen)"),
    notes: str = typer.Option(None),
) -> None:
    """Record an officer's inspection result: a training label, and for a seizure a graph seed."""
    from schemas.documents import InspectionResult
    from targeting.feedback import record_result

    try:
        inspection = InspectionResult.model_validate(
            {
                "record_id": record_id,
                "record_type": record_type,
                "outcome": outcome,
                "revenue_recovered": revenue,
                "officer": officer,
                "port": port,
                "selection": selection,
                "notes": notes,
                "inspected_at": datetime.now(UTC),
            }
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    stored = record_result(inspection, settings=get_settings())
    console.print(
        f"result {inspection.id}: label written ({stored.labels_written}), indexed: {stored.indexed}, "
        f"seized nodes: {', '.join(stored.seized_nodes) or '-'}"
    )
    for error in stored.errors:
        console.print(f"[yellow]{error}[/]")


@app.command()
def subscribe(
    name: str = typer.Argument(...),
    url: str = typer.Argument(..., help="webhook URL receiving POSTed alerts"),
    secret: str = typer.Option(..., prompt=True, hide_input=True, help="HMAC-SHA256 signing secret"),
    min_score: float = typer.Option(0.0),
    record_type: list[str] = typer.Option(None, help="only these record types (repeatable)"),
) -> None:
    """Subscribe a webhook to alerts (signed with X-Sekisho-Signature: sha256=HMAC(secret, body))."""
    from targeting.alerts import FileSubscriptions, new_subscription

    store = FileSubscriptions(get_settings().alert_subscriptions_file)
    sub = store.add(new_subscription(name, url, secret, min_score=min_score, record_types=record_type or []))
    console.print(f"subscribed {sub.id} -> {sub.url}")


@app.command()
def subscriptions(remove: str = typer.Option(None, help="remove this subscription id")) -> None:
    """List alert webhook subscriptions (or remove one)."""
    from targeting.alerts import FileSubscriptions

    store = FileSubscriptions(get_settings().alert_subscriptions_file)
    if remove:
        console.print("removed" if store.remove(remove) else f"[red]no subscription {remove}[/]")
        return
    table = Table("id", "name", "url", "min score", "record types", "active")
    for sub in store.list():
        table.add_row(
            sub.id,
            sub.name,
            sub.url,
            f"{sub.min_score:.2f}",
            ", ".join(sub.record_types) or "all",
            "yes" if sub.active else "no",
        )
    console.print(table)


@app.command()
def worker(
    from_beginning: bool = typer.Option(False, help="start from the earliest records"),
    group_id: str = typer.Option("sekisho-targeting"),
) -> None:
    """Run the targeting worker: records topic -> graph -> scores -> alerts (Kafka, index, webhooks)."""
    from targeting.worker import BatchResult, run

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def report(result: BatchResult) -> None:
        for alert in result.alerts:
            delivered = sum(1 for d in result.deliveries if d.alert_id == alert.id and d.delivered)
            console.print(f"[red]ALERT[/] {alert.title} score {alert.score:.2f}; delivered to {delivered}")

    console.print(f"targeting worker on {get_settings().topic('records')} (Ctrl-C to stop)")
    try:
        run(get_settings(), group_id=group_id, from_beginning=from_beginning, stop=stop, on_batch=report)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def alerts(
    hours: float = typer.Option(24.0, help="alerts raised in the last HOURS"),
    limit: int = typer.Option(20),
) -> None:
    """List the latest alerts from the alert index, newest first."""
    print_alerts(get_settings(), hours, limit)


def print_alerts(settings: Settings, hours: float = 24.0, limit: int = 20) -> None:
    """The latest alerts from the alert index as a table (also used by `sekisho demo`)."""
    from datetime import timedelta

    from schemas.documents import Alert
    from schemas.indexed import ALERT_TYPE
    from sekisho import es_io

    since = datetime.now(UTC) - timedelta(hours=hours)
    hits = es_io.search(
        ALERT_TYPE,
        {"range": {"created_at": {"gte": since.isoformat()}}},
        settings,
        size=limit,
        sort=[{"created_at": "desc"}],
    )
    table = Table("raised", "severity", "score", "target", "why")
    for hit in hits:
        alert = Alert.model_validate({k: v for k, v in hit.items() if not k.startswith("_")})
        table.add_row(
            alert.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            alert.severity,
            f"{alert.score:.2f}",
            escape(alert.label),
            escape("\n".join([*alert.reasons, *alert.explanation[:2]])),
        )
    console.print(table)
    console.print(f"{len(hits)} alerts in the last {hours:g} h")


@app.command("run-searches")
def run_searches(
    every: float = typer.Option(0.0, help="run again every EVERY seconds until stopped (0: once)"),
) -> None:
    """Run every subscribed saved search: alert on records that arrived since its watermark."""
    from targeting.alerts import FileSubscriptions
    from targeting.api.es_store import EsStore
    from targeting.saved_searches import RunResult, run_every

    settings = get_settings()
    webhooks = FileSubscriptions(settings.alert_subscriptions_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def report(result: RunResult, delivered: int) -> None:
        console.print(f"{escape(result.search.name)} ({escape(result.search.owner)}): {result.matched} matches "
                      f"read, {len(result.alerts)} new alerts, {delivered} webhook deliveries; watermark "
                      f"{result.search.watermark:%Y-%m-%d %H:%M:%S}")

    try:
        run_every(EsStore(settings), webhooks.list, settings, every, stop, report)
    except KeyboardInterrupt:
        stop.set()
