"""``sekisho parse``: read feed files and print one canonical record per line (JSON Lines).

Exit status: 0 when every input parsed, 3 when something was rejected (each rejection is printed as
``{"rejected": {...}}``), 2 for usage errors (a missing file, an unknown format).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from feeds import PARSERS, MessageContext, parse_message
from schemas.records import Rejection

FORMAT_CHOICES = ("auto", *sorted(PARSERS))
SKIPPED_NAMES = ("LICENSE", "README", "COPYING")
EXIT_REJECTED = 3
EXIT_USAGE = 2


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for the feed files under it (licence and readme files skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".") and not p.name.upper().startswith(SKIPPED_NAMES)
            )
        else:
            files.append(path)
    return files


def _read(path: Path) -> bytes:
    return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()


def _line(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def parse_files(files: list[Path], fmt: str) -> int:
    """Print the records of every file; the number of rejections."""
    rejected = 0
    for path in files:
        source = str(path)
        try:
            payload = _read(path)
        except OSError as exc:
            rejected += 1
            _line(
                {
                    "rejected": {
                        "reason": "file.unreadable",
                        "detail": exc.strerror or str(exc),
                        "source": source,
                    }
                }
            )
            continue
        for record in parse_message(payload, MessageContext(source=source), fmt):
            if isinstance(record, Rejection):
                rejected += 1
                _line({"rejected": {"reason": record.reason, "detail": record.detail, "source": source}})
            else:
                _line(record.model_dump(mode="json"))
    return rejected


def register(app: typer.Typer) -> None:
    @app.command("parse")
    def parse(
        files: Annotated[
            list[Path],
            typer.Argument(help="Feed files (or directories of them; '-' reads standard input).", show_default=False),
        ],
        fmt: Annotated[
            str,
            typer.Option(
                "--format",
                "-f",
                help=f"Input format: {', '.join(FORMAT_CHOICES)}. 'auto' recognises it from the content.",
            ),
        ] = "auto",
    ) -> None:
        """Parse PAXLST, PNRGOV, Cargo-IMP, Cargo-XML, ENS and WCO messages into canonical JSON Lines."""
        if fmt not in FORMAT_CHOICES:
            typer.echo(f"Error: unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}", err=True)
            raise typer.Exit(EXIT_USAGE)
        missing = [str(p) for p in files if str(p) != "-" and not p.exists()]
        if missing:
            typer.echo(f"Error: no such file: {', '.join(missing)}", err=True)
            raise typer.Exit(EXIT_USAGE)
        expanded = _expand(files)
        if not expanded:
            typer.echo("Error: no input files", err=True)
            raise typer.Exit(EXIT_USAGE)
        if parse_files(expanded, fmt):
            raise typer.Exit(EXIT_REJECTED)
