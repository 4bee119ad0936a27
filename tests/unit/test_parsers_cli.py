"""``sekisho parse``: JSON Lines on stdout, rejections as lines, exit codes 0 / 2 / 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from sekisho.cli.commands.parse import register

# The command mounted on its own app, exactly as sekisho.cli mounts it, so that these tests do not
# depend on every other command module importing cleanly.
app = typer.Typer()


@app.callback()
def sekisho() -> None:
    """Stand-in for the top-level ``sekisho`` command."""


register(app)

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
runner = CliRunner()


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_good_files_exit_zero_with_one_record_per_line() -> None:
    result = runner.invoke(app, ["parse", str(FEEDS / "paxlst" / "airline2.edi"), str(FEEDS / "wco_dms")])
    assert result.exit_code == 0, result.output
    records = lines(result.stdout)
    assert len(records) == 11 + 4 + 4  # PAXLST 10+1, WCO import 1+3, export 1+3
    for record in records:
        assert {"id", "record_type", "source_format"} <= set(record)
    assert sum(r["record_type"] == "passenger" for r in records) == 10
    assert {r["source_format"] for r in records} == {"paxlst", "wco"}


def test_rejections_are_lines_and_exit_three() -> None:
    bad = FEEDS / "pnrgov" / "danglingMetaCharacter.edi"
    result = runner.invoke(app, ["parse", str(FEEDS / "pnrgov" / "pnr1.edi"), str(bad)])
    assert result.exit_code == 3
    records = lines(result.stdout)
    rejected = [r["rejected"] for r in records if "rejected" in r]
    assert rejected == [{"reason": "edifact.service_characters", "detail": rejected[0]["detail"], "source": str(bad)}]
    assert sum("id" in r for r in records) == 5  # the good file still came through


def test_forced_format_mismatch_is_a_rejection() -> None:
    result = runner.invoke(app, ["parse", "--format", "cargo-xml", str(FEEDS / "paxlst" / "test1.edi")])
    assert result.exit_code == 3
    (record,) = lines(result.stdout)
    assert record["rejected"]["reason"] == "xml.malformed"


def test_usage_errors_exit_two() -> None:
    missing = runner.invoke(app, ["parse", str(FEEDS / "does-not-exist.edi")])
    assert missing.exit_code == 2 and missing.stdout == ""
    unknown = runner.invoke(app, ["parse", "--format", "yaml", str(FEEDS / "paxlst" / "test1.edi")])
    assert unknown.exit_code == 2 and unknown.stdout == ""
    no_args = runner.invoke(app, ["parse"])
    assert no_args.exit_code == 2


def test_whole_feed_folder() -> None:
    result = runner.invoke(app, ["parse", str(FEEDS / "pnrgov")])
    assert result.exit_code == 3
    assert result.exception is None or isinstance(result.exception, SystemExit)
    records = lines(result.stdout)
    reasons = sorted(r["rejected"]["reason"] for r in records if "rejected" in r)
    assert reasons == ["edifact.service_characters"]  # pnrBadFormat.edi is read now, with warnings
    assert sum(r.get("record_type") == "booking" for r in records) == 23
    assert sum(r.get("record_type") == "passenger" for r in records) == 45
