"""Compiled or pure-Python screening modules: the choice, the stale guard and pickles that fit both."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from enrichment.screening import native
from enrichment.screening.matcher import NameMatcher, Subject
from enrichment.screening.names import prepare_name
from enrichment.screening.rarity import TokenRarity

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import enrichment.screening as s, enrichment.screening.matcher as m, enrichment.screening.similarity as t;"
    "print(s.native.COMPILED, m.__file__.endswith('.py'), t.__file__.endswith('.py'), s.native.status(), sep='|')"
)


def _probe(**env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().split("|")


def test_pure_setting_imports_the_sources() -> None:
    compiled, matcher_source, similarity_source, status = _probe(SEKISHO_SCREENING_PURE="1")
    assert (compiled, matcher_source, similarity_source) == ("False", "True", "True")
    assert status.startswith("pure Python")


def test_status_says_what_is_used() -> None:
    compiled, matcher_source, _, status = _probe(SEKISHO_SCREENING_PURE="0")
    if compiled == "True":
        assert matcher_source == "False" and status == "compiled (mypyc)"
    else:
        assert matcher_source == "True" and status.startswith("pure Python (")


def test_digest_follows_the_sources(tmp_path: Path) -> None:
    for name in (*native.COMPILED_MODULES, *native.IMPORTED_MODULES):
        (tmp_path / f"{name}.py").write_bytes((native.HERE / f"{name}.py").read_bytes())
    assert native.sources_digest(tmp_path) == native.sources_digest()
    with (tmp_path / "scripts.py").open("a") as handle:
        handle.write("\n# edited\n")
    assert native.sources_digest(tmp_path) != native.sources_digest()


def test_classes_pickle_by_their_fields() -> None:
    rarity = TokenRarity.from_names([["ali", "hassan"], ["ali", "omar"]] * 4)
    left = Subject((prepare_name("Hassan Ali", "PER"),), ("1970",), frozenset({"iq"}), frozenset({("imo", "1")}))
    right = Subject((prepare_name("Hasan Aly", "PER"),), ("1970-01-02",))
    for value in (rarity, left, left.names[0], left.names[0].tokens[0]):
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and type(copy) is type(value)
    comparison = NameMatcher(rarity).compare(left, right)
    assert pickle.loads(pickle.dumps(comparison)) == comparison
    # The reduced form names the class and its fields only: what both flavours can rebuild.
    assert left.__reduce__() == (Subject, (left.names, left.birth_dates, left.countries, left.identifiers))
