"""Source definitions: what to crawl, how to follow links and what to extract, declared in YAML.

A source file (``crawlers/sources/<name>.yaml``) is validated into a frozen ``SourceDefinition``.
The placeholder ``{fixture_site}`` in any URL is replaced by the bundled fixture site's base URL, so
the same definitions work for the demo, the tests and the benchmark wherever the site listens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.grading import UNGRADED, Credibility, Reliability, grade_code

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
FIXTURE_PLACEHOLDER = "{fixture_site}"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPE = "application/pdf"  # notices published as PDF (article sources)
LIST_TYPES = (
    "text/csv",
    "text/plain",
    "application/xml",
    "text/xml",
    "application/octet-stream",
    "application/csv",
    "text/tab-separated-values",
)


def parse_duration(value: object) -> float:
    """``3600``, ``"90m"``, ``"6h"`` or ``"1d"`` as seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"not a duration: {value!r} (use seconds or 90m, 6h, 1d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@lru_cache(maxsize=1024)
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FollowRule(_Frozen):
    """Links whose URL matches ``allow`` (and no ``deny``) are followed; ``parse`` makes them items."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    parse: bool = False

    def matches(self, url: str) -> bool:
        if self.allow and not any(_pattern(p).search(url) for p in self.allow):
            return False
        return not any(_pattern(p).search(url) for p in self.deny)


class JsonApi(_Frozen):
    """A JSON endpoint listing items: ``items_path`` is a dotted path to the array, ``url_field`` the key."""

    url: str
    items_path: str = ""
    url_field: str = "url"


class ListFile(_Frozen):
    """One official watchlist file of a list source."""

    name: str
    url: str


class ExtractionRules(_Frozen):
    """CSS selectors (``::text``/``::attr()`` allowed) for listing fields; empty means use defaults."""

    title: str | None = None
    text: str | None = None
    price: str | None = None
    currency: str | None = None
    seller: str | None = None
    ship_from: str | None = None
    images: str | None = None
    published: str | None = None


class Politeness(_Frozen):
    delay_s: float = 0.25
    concurrency_per_domain: int = 4
    autothrottle: bool = True


class SourceDefinition(_Frozen):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["article", "listing", "watchlist"]
    description: str = ""
    enabled: bool = True  # `sekisho crawl --all` skips disabled sources (e.g. ones on the public internet)
    start_urls: tuple[str, ...] = ()
    sitemap_urls: tuple[str, ...] = ()
    feed_urls: tuple[str, ...] = ()  # RSS or Atom
    api: JsonApi | None = None
    lists: tuple[ListFile, ...] = ()  # watchlist sources only
    allowed_domains: tuple[str, ...] = ()
    follow: tuple[FollowRule, ...] = ()
    extract: ExtractionRules = ExtractionRules()
    recrawl_interval_s: float = Field(default=86400.0, alias="recrawl_interval")
    budget: int = Field(default=1000, ge=1, description="max pages fetched per run")
    max_depth: int = Field(default=5, ge=0)
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    download_timeout_s: float = Field(default=20.0, gt=0, alias="download_timeout")
    max_duration_s: float = Field(default=3600.0, gt=0, alias="max_duration", description="a run stops after this")
    politeness: Politeness = Politeness()
    content_types: tuple[str, ...] = ()
    # How far the source can be trusted (A-F) and how credible its information is (1-6); every record
    # from it carries the grade. A source nobody graded is F6 ("cannot be judged").
    reliability: Reliability = UNGRADED[0]
    credibility: Credibility = UNGRADED[1]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("recrawl_interval_s", "download_timeout_s", "max_duration_s", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)

    @model_validator(mode="after")
    def _has_entry_points(self) -> SourceDefinition:
        if self.kind == "watchlist" and not self.lists:
            raise ValueError("a watchlist source needs `lists`")
        if self.kind != "watchlist" and not (self.start_urls or self.sitemap_urls or self.feed_urls or self.api):
            raise ValueError("a source needs start_urls, sitemap_urls, feed_urls or api")
        return self

    @property
    def grade(self) -> str:
        return grade_code(self.reliability, self.credibility)

    @property
    def accepted_content_types(self) -> tuple[str, ...]:
        if self.content_types:
            return self.content_types
        if self.kind == "watchlist":
            return LIST_TYPES
        return (*HTML_TYPES, PDF_TYPE) if self.kind == "article" else HTML_TYPES

    def entry_urls(self) -> list[str]:
        """Every URL a run starts from (files for list sources)."""
        if self.kind == "watchlist":
            return [item.url for item in self.lists]
        return [*self.start_urls, *self.sitemap_urls, *self.feed_urls, *([self.api.url] if self.api else [])]

    def domains(self) -> tuple[str, ...]:
        """Allowed domains, defaulting to the hosts of the entry URLs."""
        if self.allowed_domains:
            return self.allowed_domains
        hosts = {urlsplit(url).hostname or "" for url in self.entry_urls()}
        return tuple(sorted(h for h in hosts if h))

    def follow_rule_for(self, url: str) -> FollowRule | None:
        return next((rule for rule in self.follow if rule.matches(url)), None)

    def list_name_for(self, url: str) -> str | None:
        return next((item.name for item in self.lists if item.url == url), None)


def _substitute(value: Any, fixture_site: str) -> Any:
    if isinstance(value, str):
        return value.replace(FIXTURE_PLACEHOLDER, fixture_site.rstrip("/"))
    if isinstance(value, list):
        return [_substitute(v, fixture_site) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, fixture_site) for k, v in value.items()}
    return value


def source_from_mapping(data: dict[str, Any], fixture_site: str) -> SourceDefinition:
    return SourceDefinition.model_validate(_substitute(data, fixture_site))


def load_source_file(path: Path, fixture_site: str) -> SourceDefinition:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a source definition is a mapping")
    data.setdefault("name", path.stem.replace("_", "-"))
    return source_from_mapping(data, fixture_site)


def load_sources(fixture_site: str, directories: Iterable[Path] = (SOURCES_DIR,)) -> dict[str, SourceDefinition]:
    """Every source definition in the given directories, by name."""
    sources: dict[str, SourceDefinition] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.yaml")):
            source = load_source_file(path, fixture_site)
            if source.name in sources:
                raise ValueError(f"{path}: duplicate source name {source.name!r}")
            sources[source.name] = source
    return sources
