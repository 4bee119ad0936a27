"""Source definitions: YAML in, validated frozen definitions out."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from crawlers.sources import SOURCES_DIR, load_source_file, load_sources, parse_duration, source_from_mapping


def test_bundled_sources_load_with_the_fixture_site_substituted() -> None:
    sources = load_sources("http://127.0.0.1:9999/")
    assert {"fixture-news", "fixture-market", "fixture-watchlists", "official-watchlists"} <= set(sources)
    news = sources["fixture-news"]
    assert news.kind == "article"
    assert news.start_urls[0] == "http://127.0.0.1:9999/news/"
    assert news.domains() == ("127.0.0.1",)
    assert news.recrawl_interval_s == 3600
    assert news.max_duration_s == 3600  # default cap on one run
    lists = sources["fixture-watchlists"]
    names = [item.name for item in lists.lists]
    assert {"OFAC SDN", "OFAC Consolidated", "UN Consolidated", "US CSL", "BIS DPL"} <= set(names)
    assert len(names) == len(set(names)) == 10
    assert lists.list_name_for("http://127.0.0.1:9999/lists/dpl.txt") == "BIS DPL"
    assert "text/csv" in lists.accepted_content_types
    # Sources on the public internet are off unless an operator turns them on.
    assert not sources["official-watchlists"].enabled


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(3600, 3600.0), ("90m", 5400.0), ("6h", 21600.0), ("1d", 86400.0), ("0", 0.0), ("2.5s", 2.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_durations_and_definitions_are_rejected() -> None:
    with pytest.raises(ValueError):
        parse_duration("soon")
    with pytest.raises(ValidationError):
        source_from_mapping({"name": "x", "kind": "article"}, "http://h")  # nowhere to start
    with pytest.raises(ValidationError):
        source_from_mapping({"name": "x", "kind": "watchlist", "start_urls": ["http://h/"]}, "http://h")
    with pytest.raises(ValidationError):
        source_from_mapping({"name": "Bad Name", "kind": "article", "start_urls": ["http://h/"]}, "http://h")
    with pytest.raises(ValidationError):
        source_from_mapping({"name": "x", "kind": "article", "start_urls": ["http://h/"], "typo": 1}, "http://h")


def test_follow_rules_allow_then_deny() -> None:
    source = source_from_mapping(
        {
            "name": "x",
            "kind": "article",
            "start_urls": ["{fixture_site}/"],
            "follow": [{"allow": ["/news/"], "deny": [r"\.pdf$"], "parse": True}, {"allow": ["/page/\\d+"]}],
        },
        "http://h",
    )
    rule = source.follow_rule_for("http://h/news/a.html")
    assert rule is not None and rule.parse
    assert source.follow_rule_for("http://h/news/a.pdf") is None
    hub = source.follow_rule_for("http://h/page/2")
    assert hub is not None and not hub.parse
    assert source.follow_rule_for("http://h/about") is None


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "my_source.yaml"
    path.write_text("kind: listing\nstart_urls: ['{fixture_site}/market/']\n")
    source = load_source_file(path, "http://127.0.0.1:1")
    assert source.name == "my-source"
    assert source.entry_urls() == ["http://127.0.0.1:1/market/"]


def test_duplicate_names_are_an_error(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text("name: same\nkind: article\nstart_urls: ['http://h/']\n")
    with pytest.raises(ValueError, match="duplicate"):
        load_sources("http://h", [tmp_path])
    assert SOURCES_DIR.is_dir()
