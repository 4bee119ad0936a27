"""Readers for each watchlist format, all producing :class:`WatchlistEntry`.

Formats (as published, snapshot in ``data/watchlists/``): OFAC SDN and consolidated non-SDN as the
legacy CSV trio (``sdn.csv``/``alt.csv``/``sdn_comments.csv``, ``cons_prim.csv``/``cons_alt.csv``,
no header, ``-0-`` for empty), the UN Security Council consolidated XML, the US Consolidated
Screening List CSV and the BIS Denied Persons tab-separated text. A missing file is simply skipped,
so a partial snapshot still loads.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import Element

import pycountry
from defusedxml import ElementTree
from rigour.territories import lookup_territory

from enrichment.screening.entries import EntrySchema, WatchlistEntry
from schemas.records import make_id

OFAC_SDN = "OFAC SDN"
OFAC_CONSOLIDATED = "OFAC Consolidated"
UN_CONSOLIDATED = "UN Consolidated"
US_CSL = "US CSL"
BIS_DPL = "BIS DPL"

LIST_FILES: dict[str, tuple[str, ...]] = {
    OFAC_SDN: ("sdn.csv", "alt.csv", "sdn_comments.csv"),
    OFAC_CONSOLIDATED: ("cons_prim.csv", "cons_alt.csv"),
    UN_CONSOLIDATED: ("UN_consolidated.xml",),
    US_CSL: ("csl.csv",),
    BIS_DPL: ("dpl.txt",),
}

_NULL = "-0-"
_OFAC_TYPES: dict[str, EntrySchema] = {"individual": "Person", "vessel": "Vessel", "aircraft": "Aircraft"}
_DOB_RE = re.compile(
    r"DOB (?:circa |c\. |approximately )?((?:\d{1,2} )?(?:[A-Z][a-z]{2} )?\d{4})"
    r"(?: to ((?:\d{1,2} )?(?:[A-Z][a-z]{2} )?\d{4}))?"
)
_REMARK_AKA = re.compile(r"a\.k\.a\. '([^']+)'")  # weak aliases kept in the remarks ("a.k.a. 'KOMID'")
_COUNTRY_RE = re.compile(r"\b(?:nationality|citizen) ([A-Za-z ,'()-]+?)(?:;|\.$|$)")
_ID_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("passport", re.compile(r"Passport (?:No\. )?([A-Z0-9][A-Z0-9-]{3,})")),
    ("imo", re.compile(r"IMO (\d{7})")),
    ("national_id", re.compile(r"National ID No\. ([A-Z0-9][A-Z0-9-]{3,})")),
)


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value == _NULL else value


def compact_identifier(value: str, scheme: str | None = None) -> str:
    """The form identifiers are compared in: upper case without separators (and no "IMO" before an IMO)."""
    compact = re.sub(r"[\s.\-/]", "", value).upper()
    if scheme == "imo":
        compact = compact.removeprefix("IMO")
    return compact


# Names the lists use that pycountry does not know (checked against the bundled snapshot).
_LIST_COUNTRY_NAMES: dict[str, str | None] = {
    "none identified": None,
    "former soviet union": None,
    "burma": "mm",
    "congo, democratic republic of the": "cd",
    "democratic republic of the congo": "cd",
    "iran (islamic republic of)": "ir",
    "korea, north": "kp",
    "kosovo": "xk",
    "macedonia, the former yugoslav republic of": "mk",
    "palestinian": "ps",
    "possibly palestinian": "ps",
    "state of palestine": "ps",
    "russia": "ru",
    "the gambia": "gm",
    "turkey": "tr",
}


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """ISO alpha-2 (lower case) for a country name or code as lists write it; ``None`` if unknown.

    pycountry answers the usual names quickly; rigour's territory names (slow to load, once per
    process) catch the rest ("Korea, North", "Palestinian", "Burma").
    """
    text = text.strip().strip(".")
    if not text:
        return None
    if text.lower() in _LIST_COUNTRY_NAMES:
        return _LIST_COUNTRY_NAMES[text.lower()]
    try:
        return str(pycountry.countries.lookup(text).alpha_2).lower()
    except LookupError:
        pass
    territory = lookup_territory(text)
    return territory.code.split("-")[0] if territory is not None else None


def _date_parts(text: str) -> str | None:
    for fmt, width in (("%d %b %Y", 10), ("%b %Y", 7), ("%Y", 4), ("%Y-%m-%d", 10), ("%d/%m/%Y", 10)):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()[:width]
        except ValueError:
            continue
    return None


def birth_dates_in(text: str) -> tuple[str, ...]:
    """Dates of birth in an OFAC remark ("DOB 10 Dec 1948; alt. DOB 1949; DOB 1961 to 1963")."""
    found: list[str] = []
    for match in _DOB_RE.finditer(text):
        first = _date_parts(match.group(1))
        last = _date_parts(match.group(2)) if match.group(2) else None
        if first and last and first[:4] < last[:4]:
            found.extend(str(year) for year in range(int(first[:4]), min(int(last[:4]), int(first[:4]) + 10) + 1))
        elif first:
            found.append(first)
    return tuple(dict.fromkeys(found))


def countries_in(text: str) -> tuple[str, ...]:
    codes = [country_code(match.group(1)) for match in _COUNTRY_RE.finditer(text)]
    return tuple(dict.fromkeys(code for code in codes if code))


def identifiers_in(text: str) -> tuple[tuple[str, str], ...]:
    found = [(scheme, compact_identifier(m.group(1))) for scheme, pattern in _ID_RES for m in pattern.finditer(text)]
    return tuple(dict.fromkeys(found))


def _ofac_name(name: str) -> str:
    return name.strip().strip('"')


def _read_csv(path: Path, delimiter: str = ",") -> Iterator[list[str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from csv.reader(handle, delimiter=delimiter)


def load_ofac(
    directory: Path, primary: str, aliases: str, comments: str | None, list_name: str
) -> list[WatchlistEntry]:
    """OFAC legacy CSV: ent_num, name, type, program, title, call sign, vessel fields..., remarks."""
    if not (directory / primary).exists():
        return []
    alias_names: dict[str, list[str]] = {}
    if (directory / aliases).exists():
        for row in _read_csv(directory / aliases):
            if len(row) >= 4 and _clean(row[3]):
                alias_names.setdefault(row[0].strip(), []).append(_ofac_name(row[3]))
    extra_remarks: dict[str, str] = {}
    if comments and (directory / comments).exists():
        for row in _read_csv(directory / comments):
            if len(row) >= 2:
                extra_remarks[row[0].strip()] = extra_remarks.get(row[0].strip(), "") + " " + row[1]
    prefix = "ofac-sdn" if list_name == OFAC_SDN else "ofac-cons"
    entries = []
    for row in _read_csv(directory / primary):
        if len(row) < 12 or not row[0].strip().isdigit():
            continue
        number = row[0].strip()
        remarks = _clean(row[11]) + extra_remarks.get(number, "")
        schema = _OFAC_TYPES.get(_clean(row[2]).lower(), "Company")
        identifiers = list(identifiers_in(remarks))
        if schema == "Vessel" and _clean(row[5]):
            identifiers.append(("call_sign", compact_identifier(_clean(row[5]))))
        countries = list(countries_in(remarks))
        if schema == "Vessel" and _clean(row[9]) and (flag := country_code(_clean(row[9]))):
            countries.append(flag)
        entries.append(
            WatchlistEntry(
                entry_id=f"{prefix}:{number}",
                list_name=list_name,
                schema=schema,
                names=tuple(
                    dict.fromkeys([_ofac_name(row[1]), *alias_names.get(number, []), *_REMARK_AKA.findall(remarks)])
                ),
                birth_dates=birth_dates_in(remarks) if schema == "Person" else (),
                countries=tuple(dict.fromkeys(countries)),
                identifiers=tuple(dict.fromkeys(identifiers)),
                programs=tuple(p.strip(" []") for p in re.split(r"\]\s*\[|;", _clean(row[3])) if p.strip(" []")),
            )
        )
    return entries


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _un_birth_dates(element: Element) -> tuple[str, ...]:
    found: list[str] = []
    for dob in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        exact = _text(dob, "DATE")
        year = _text(dob, "YEAR")
        low, high = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
        if exact:
            found.append(exact[:10])
        elif year:
            found.append(year[:4])
        elif low.isdigit() and high.isdigit():
            found.extend(str(y) for y in range(int(low), min(int(high), int(low) + 10) + 1))
    return tuple(dict.fromkeys(found))


def load_un(directory: Path) -> list[WatchlistEntry]:
    """UN Security Council consolidated list XML (INDIVIDUALS and ENTITIES)."""
    path = directory / "UN_consolidated.xml"
    if not path.exists():
        return []
    root = ElementTree.parse(str(path)).getroot()
    entries = []
    for kind, alias_tag in (("INDIVIDUAL", "INDIVIDUAL_ALIAS"), ("ENTITY", "ENTITY_ALIAS")):
        for element in root.iter(kind):
            parts = [_text(element, tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            names = [" ".join(part for part in parts if part)]
            if original := _text(element, "NAME_ORIGINAL_SCRIPT"):
                names.append(original)
            for alias in element.findall(alias_tag):
                # "Low" quality aliases are fragments ("Abu Ahmed") that would flood analysts with leads.
                if _text(alias, "QUALITY") != "Low" and (alias_name := _text(alias, "ALIAS_NAME")):
                    names.append(alias_name)
            countries = [country_code(v.text or "") for v in element.findall("NATIONALITY/VALUE")]
            identifiers = []
            for document in element.findall("INDIVIDUAL_DOCUMENT"):
                number = _text(document, "NUMBER")
                if number:
                    scheme = "passport" if "passport" in _text(document, "TYPE_OF_DOCUMENT").lower() else "national_id"
                    identifiers.append((scheme, compact_identifier(number)))
            entries.append(
                WatchlistEntry(
                    entry_id=f"un:{_text(element, 'REFERENCE_NUMBER') or _text(element, 'DATAID')}",
                    list_name=UN_CONSOLIDATED,
                    schema="Person" if kind == "INDIVIDUAL" else "Company",
                    names=tuple(dict.fromkeys(name for name in names if name)),
                    birth_dates=_un_birth_dates(element),
                    countries=tuple(dict.fromkeys(code for code in countries if code)),
                    identifiers=tuple(dict.fromkeys(identifiers)),
                    programs=(_text(element, "UN_LIST_TYPE"),),
                )
            )
    return entries


_CSL_TYPES: dict[str, EntrySchema] = {
    "Individual": "Person",
    "Entity": "Company",
    "Vessel": "Vessel",
    "Aircraft": "Aircraft",
}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def load_csl(directory: Path) -> list[WatchlistEntry]:
    """US Consolidated Screening List (trade.gov CSV with a header)."""
    path = directory / "csl.csv"
    if not path.exists():
        return []
    entries = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("name") or "").strip()
            if not name:
                continue
            identifiers: list[tuple[str, str]] = []
            for item in _split(row.get("ids") or ""):
                fields = [field.strip() for field in item.split(",")]
                if len(fields) >= 2 and fields[0].startswith("IMO "):
                    identifiers.append(("imo", fields[0][4:].strip()))
                elif len(fields) >= 3 and "passport" in fields[2].lower():
                    identifiers.append(("passport", compact_identifier(fields[1])))
            countries = [country_code(c) for c in _split((row.get("nationalities") or "").replace(",", ";"))]
            countries += [country_code(c) for c in _split((row.get("citizenships") or "").replace(",", ";"))]
            source = (row.get("source") or "").split(" - ")[0]
            number = (row.get("entity_number") or "").strip()
            entries.append(
                WatchlistEntry(
                    entry_id=f"csl:{number}" if number else make_id("csl", source, name).replace("csl-", "csl:"),
                    list_name=US_CSL,
                    schema=_CSL_TYPES.get((row.get("type") or "").strip(), "LegalEntity"),
                    names=tuple(dict.fromkeys([name, *_split(row.get("alt_names") or "")])),
                    birth_dates=tuple(
                        d for d in (_date_parts(v) for v in _split(row.get("dates_of_birth") or "")) if d
                    ),
                    countries=tuple(dict.fromkeys(c for c in countries if c)),
                    identifiers=tuple(dict.fromkeys(identifiers)),
                    programs=(source, *_split(row.get("programs") or "")),
                )
            )
    return entries


def load_dpl(directory: Path) -> list[WatchlistEntry]:
    """BIS Denied Persons List (tab-separated, quoted, with a header). Persons and firms are not told apart."""
    path = directory / "dpl.txt"
    if not path.exists():
        return []
    entries = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            name = (row.get("Name") or "").strip()
            if not name:
                continue
            entries.append(
                WatchlistEntry(
                    entry_id=make_id("dpl", name, row.get("Street_Address"), row.get("Effective_Date")).replace(
                        "dpl-", "bis-dpl:"
                    ),
                    list_name=BIS_DPL,
                    schema="LegalEntity",
                    names=(name,),
                    # An address country is not a nationality; kept out of the evidence on purpose.
                    countries=(),
                    programs=tuple(_split(row.get("FR_Citation") or "")[:1]),
                )
            )
    return entries


def load_all(directory: Path) -> list[WatchlistEntry]:
    """Every list found in ``directory``, in a stable order."""
    return [
        *load_ofac(directory, "sdn.csv", "alt.csv", "sdn_comments.csv", OFAC_SDN),
        *load_ofac(directory, "cons_prim.csv", "cons_alt.csv", None, OFAC_CONSOLIDATED),
        *load_un(directory),
        *load_csl(directory),
        *load_dpl(directory),
    ]


def lists_content_hash(directory: Path, files: Iterable[str] | None = None) -> str:
    """SHA-256 over the list files' names and bytes: the cache key of a built index."""
    digest = hashlib.sha256()
    names = sorted(files) if files is not None else sorted(f for group in LIST_FILES.values() for f in group)
    for name in names:
        path = directory / name
        if path.exists():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
