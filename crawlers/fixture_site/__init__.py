"""The bundled fixture web site: a news section, a sanctions notice, a small marketplace, official list
files, edge cases for the tests and an optional large generated section for the benchmark.

Its planted people, companies and phones come from ``data/planted/world.yaml`` (the same scenario the
feed generator uses), so a crawl of this site yields web findings that link to arriving consignments.
"""

from crawlers.fixture_site.server import FixtureServer
from crawlers.fixture_site.site import FixtureSite, build_site

__all__ = ["FixtureServer", "FixtureSite", "build_site"]
