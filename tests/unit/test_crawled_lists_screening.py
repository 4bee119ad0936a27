"""Crawled watchlists feed screening: a list changed on the (real, local) fixture site changes what
screening finds, through the crawler's list store and the directory screening builds its index from."""

from __future__ import annotations

from pathlib import Path

from crawlers.fixture_site import FixtureServer
from crawlers.fixture_site.site import Page, build_site
from crawlers.frontier import InMemoryFrontier
from crawlers.runner import run_crawl
from crawlers.sinks import CollectingSink
from crawlers.sources import load_sources
from enrichment.screening.index import load_index
from enrichment.stages import screening_lists
from sekisho.list_store import screening_files, screening_list_dir
from sekisho.settings import BUNDLED_DATA, Settings, get_settings

NEW_ENTRY = '99999901,"ZORBANIA MARITIME HOLDINGS LTD",-0- ,"NPWMD",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
QUERY = "Zorbania Maritime Holdings Limited"


def _copy_lists(target: Path) -> Path:
    target.mkdir()
    for path in (BUNDLED_DATA / "watchlists").iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def _crawl_lists(server: FixtureServer, settings: Settings) -> None:
    source = load_sources(server.url)["fixture-watchlists"]
    fast = source.model_copy(
        update={"politeness": source.politeness.model_copy(update={"delay_s": 0.0, "autothrottle": False})}
    )
    report = run_crawl(fast, settings, frontier=InMemoryFrontier(), sink=CollectingSink())
    assert report.emitted > 0, report.summary()


def _best(settings: Settings, name: str) -> tuple[str, float]:
    index = load_index(screening_lists(settings), settings.home / "cache" / "screening")
    matches = index.screen_name(name, "Company", limit=1)
    return (matches[0].entry.names[0], matches[0].score) if matches else ("", 0.0)


def test_changed_list_on_the_site_changes_the_screening_result(tmp_path: Path) -> None:
    lists = _copy_lists(tmp_path / "served")
    site = build_site(BUNDLED_DATA / "planted" / "world.yaml", lists)
    with FixtureServer(site) as server:
        allowed = [server.url.split("//", 1)[1]]
        update = {"home": tmp_path / "home", "crawl_allowed_private_targets": allowed}
        settings = get_settings().model_copy(update=update)
        _crawl_lists(server, settings)
        before_dir = screening_lists(settings)
        name, score = _best(settings, QUERY)
        assert score < settings.screening_threshold, (name, score)

        # The list is refreshed on the site: a new designation appears in the SDN file.
        current = (lists / "sdn.csv").read_bytes()
        separator = b"" if current.endswith(b"\n") else b"\n"  # the official file ends without a newline
        (lists / "sdn.csv").write_bytes(current + separator + NEW_ENTRY.encode("latin-1"))
        served = site.pages["/lists/sdn.csv"]
        site.pages["/lists/sdn.csv"] = Page((lists / "sdn.csv").read_bytes(), content_type=served.content_type)
        _crawl_lists(server, settings)

    after_dir = screening_lists(settings)
    assert after_dir != before_dir
    assert (after_dir / "sdn.csv").read_bytes() == (lists / "sdn.csv").read_bytes()
    name, score = _best(settings, QUERY)
    assert name == "ZORBANIA MARITIME HOLDINGS LTD"
    assert score >= settings.screening_threshold


def test_screening_files_prefer_the_latest_crawled_file(tmp_path: Path) -> None:
    from sekisho.list_store import store_list_file

    bundled = _copy_lists(tmp_path / "bundled")
    store = tmp_path / "store"
    assert screening_list_dir(bundled, store, tmp_path / "work") == bundled  # nothing crawled: the snapshot itself
    stored = store_list_file(store, "US CSL", "ab" * 32, b"new csl", "http://lists.example/csl.csv", "2026-12-01")
    files = screening_files(bundled, store)
    assert files["csl.csv"] == Path(stored.path)
    assert files["sdn.csv"] == bundled / "sdn.csv"
    chosen = screening_list_dir(bundled, store, tmp_path / "work")
    assert (chosen / "csl.csv").read_bytes() == b"new csl"
    assert (chosen / "sdn.csv").read_bytes() == (bundled / "sdn.csv").read_bytes()
    assert screening_list_dir(bundled, store, tmp_path / "work") == chosen  # same selection, same directory
    Path(stored.path).unlink()  # a stored copy that vanished is skipped, never fatal
    assert screening_files(bundled, store)["csl.csv"] == bundled / "csl.csv"
