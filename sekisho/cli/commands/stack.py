"""`sekisho stack up | status | down | lock`: the local Kafka broker and Elasticsearch node."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from sekisho import stack as local_stack
from sekisho.settings import get_settings

app = typer.Typer(help="Start, inspect and stop the local stack (Kafka KRaft broker, Elasticsearch node).",
                  no_args_is_help=True)
console = Console()


def _print_status() -> bool:
    table = Table("service", "pid", "port", "healthy", "log")
    all_ok = True
    for st in local_stack.status(get_settings()):
        all_ok &= st.healthy
        table.add_row(st.name, str(st.pid or "-"), str(st.port), "[green]yes[/]" if st.healthy else "[red]no[/]",
                      str(st.log))
    console.print(table)
    return all_ok


@app.command()
def up(timeout: float = typer.Option(180.0, help="seconds to wait for health")) -> None:
    """Fetch pinned artifacts (first time), start the services and wait until they are healthy."""
    try:
        local_stack.up(get_settings(), timeout_s=timeout, on_progress=lambda m: console.print(f"[cyan]stack[/] {m}"))
    except local_stack.StackError as exc:
        console.print(f"[red]stack up failed:[/] {exc}")
        raise typer.Exit(1) from exc
    _print_status()


@app.command()
def status() -> None:
    """Show each service's pid, port, health and log file; exit 1 if one is unhealthy."""
    if not _print_status():
        raise typer.Exit(1)


@app.command()
def down(purge: bool = typer.Option(False, help="also delete the services' data")) -> None:
    """Stop the services (and with --purge, delete their data)."""
    stopped = local_stack.down(get_settings(), purge=purge)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def fetch() -> None:
    """Download (first time) and verify the pinned jars of every component into the cache."""
    for component in local_stack.COMPONENTS:
        path = local_stack.fetch_artifacts(component, get_settings())
        console.print(f"{component}: {len(list(path.glob('*.jar')))} jars verified in {path}")


@app.command()
def lock() -> None:
    """Re-resolve the jars and rewrite infra/local/artifacts.lock (after changing a POM)."""
    data = local_stack.write_lock(get_settings())
    for component, jars in data.items():
        console.print(f"{component}: {len(jars)} jars")
