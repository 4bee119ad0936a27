"""The `sekisho screen pairs` and `sekisho screen name` contracts."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sekisho.cli import app
from sekisho.settings import get_settings

WATCHLISTS = Path(__file__).resolve().parents[2] / "data" / "watchlists"
runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SEKISHO_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write_pairs(path: Path) -> Path:
    rows = [
        ["pair_id", "left name", "right name", "kind", "note"],
        ["1", "PUTIN, Vladimir", "Владимир Путин", "Person", "cyrillic"],
        ["2", "Gazprom Aktiengesellschaft", "GAZPROM AG", "Company", "legal form"],
        ["3", "John Smith", "Jane Doe", "Person", "different"],
        ["4", "Romashka", "Romashka", "", "no kind"],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_pairs_to_stdout_adds_score_and_match(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.csv")
    result = runner.invoke(
        app, ["screen", "pairs", str(source), "--left", "left name", "--right", "right name", "--schema-col", "kind"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    original = list(csv.reader(source.open(encoding="utf-8")))
    assert rows[0] == [*original[0], "score", "match"]
    for copied, before in zip(rows[1:], original[1:], strict=True):
        assert copied[:-2] == before
        assert 0.0 <= float(copied[-2]) <= 1.0
        assert copied[-1] in ("true", "false")
        assert (copied[-1] == "true") == (float(copied[-2]) >= get_settings().screening_threshold)
    assert [row[-1] for row in rows[1:]] == ["true", "true", "false", "true"]


def test_pairs_to_a_file_without_schema_column(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.csv")
    out = tmp_path / "scored.csv"
    result = runner.invoke(
        app, ["screen", "pairs", str(source), "--left", "left name", "--right", "right name", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 4 and rows[0]["match"] == "true" and rows[2]["match"] == "false"


def test_pairs_rejects_an_unknown_column(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.csv")
    result = runner.invoke(app, ["screen", "pairs", str(source), "--left", "nope", "--right", "right name"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_name_lists_best_entries_with_explanations(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(WATCHLISTS / "UN_consolidated.xml", lists / "UN_consolidated.xml")
    result = runner.invoke(
        app,
        ["screen", "name", "صدام حسين التكريتي", "--schema", "Person", "--watchlists", str(lists), "--limit", "3"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "UN Consolidated" in result.stdout
    assert "un:IQi.001" in result.stdout  # Saddam Hussein Al-Tikriti
    assert "yes" in result.stdout
    assert "=" in result.stdout  # the matched name parts


def test_name_without_hits(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(WATCHLISTS / "dpl.txt", lists / "dpl.txt")
    result = runner.invoke(app, ["screen", "name", "Qwxyz Vbnmk", "--watchlists", str(lists)])
    assert result.exit_code == 0, result.output
    assert "no list entry resembles" in result.stdout


def test_threshold_shows_the_trade_off_with_the_setting_marked(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(WATCHLISTS / "dpl.txt", lists / "dpl.txt")
    pairs = tmp_path / "pairs.csv"
    rows = [
        ["split", "kind", "schema", "label", "left", "right", "group", "entry_id"],
        ["dev", "typo", "Person", "1", "Jorgge Lopez", "LOPEZ, Jorge", "g1", ""],
        ["dev", "namesake", "Person", "0", "Maria Lopez", "LOPEZ, Jorge", "g2", ""],
        ["test", "typo", "Person", "1", "Jon Smith", "SMITH, John", "g3", ""],
    ]
    with pairs.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = runner.invoke(
        app, ["screen", "threshold", "--pairs", str(pairs), "--watchlists", str(lists)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "2 dev pairs (1 same party)" in result.stdout
    assert f"{get_settings().screening_threshold:.2f}" in result.stdout and "current setting" in result.stdout
    assert "1.000" in result.stdout  # precision at the setting: the typo matches, the namesake does not
    missing = runner.invoke(app, ["screen", "threshold", "--pairs", str(pairs), "--part", "nope"])
    assert missing.exit_code == 2
