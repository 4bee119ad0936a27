"""The common model every watchlist is loaded into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntrySchema = Literal["Person", "Company", "Vessel", "Aircraft", "LegalEntity"]


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """One listed party. ``names[0]`` is the primary name; the rest are aliases and original scripts.

    ``birth_dates`` are ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ``countries`` are ISO 3166 alpha-2
    (lower case) from nationality and citizenship; ``identifiers`` are ``(scheme, value)`` pairs with
    the value compacted (upper case, no spaces or dashes).
    """

    entry_id: str
    list_name: str
    schema: EntrySchema
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    programs: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return self.names[0] if self.names else self.entry_id
