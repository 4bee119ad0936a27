"""The ``sekisho`` command: one entry point, one sub-command module per area (``sekisho/cli/commands/``)."""

from __future__ import annotations

import importlib
import os
import sys

import typer

# Rich lays tables out for 80 columns when output is not a terminal (CI logs, pipes): give reports
# room to breathe there. A real terminal, or an explicit COLUMNS, keeps its own width.
if not sys.stdout.isatty():
    os.environ.setdefault("COLUMNS", "160")

app = typer.Typer(
    name="sekisho",
    help="Sekisho: border intelligence and targeting. Start with `sekisho demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# (module under sekisho.cli.commands, how it is mounted). A module exposes either `app` (a typer.Typer
# mounted as a command group) or `register(app)` (adds plain commands).
COMMAND_MODULES: list[str] = [
    "stack",
    "ingest",
    "demo",
    "parse",
    "generate",
    "retention",
    "crawl",
    "evidence",
    "ner",
    "screen",
    "risk",
    "graph",
    "resolve",
    "targeting",
    "serve",
    "audit",
]


def _mount() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"sekisho.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sekisho.cli.commands.{name}":
                continue  # that area is not installed in this build
            raise
        if hasattr(module, "register"):
            module.register(app)
        else:
            app.add_typer(module.app, name=name.replace("_", "-"))


_mount()
