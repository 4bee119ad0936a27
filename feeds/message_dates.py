"""Dates as written in EDIFACT and Cargo-IMP messages, with two-digit years resolved deterministically.

Two-digit years are resolved against the date the message was prepared (from its envelope), never
against today's date, so re-parsing an old message yields the same records and the same ids.
"""

from __future__ import annotations

import re
from datetime import date, datetime

MONTHS = {
    m: i
    for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)
}
DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})([A-Z]{3})(\d{2}|\d{4})$")


def century_year(two_digits: int, reference_year: int, *, past: bool) -> int:
    """Birth dates never lie after the reference year; others (expiry, flights) within 50 years of it."""
    century = reference_year - reference_year % 100
    year = century + two_digits
    if past:
        return year - 100 if year > reference_year else year
    if year > reference_year + 50:
        return year - 100
    if year < reference_year - 50:
        return year + 100
    return year


def parse_yymmdd(value: str, reference_year: int, *, past: bool = False) -> date | None:
    text = value.strip()
    try:
        if len(text) == 8 and text.isdigit():
            return datetime.strptime(text, "%Y%m%d").date()
        if len(text) == 6 and text.isdigit():
            year = century_year(int(text[:2]), reference_year, past=past)
            return date(year, int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None
    return None


def parse_ddmmyy(value: str, reference_year: int) -> date | None:
    """PNRGOV TVL/DAT dates are day first: ``121210`` is 12 December 2010."""
    text = value.strip()
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return date(century_year(int(text[4:6]), reference_year, past=False), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def parse_ddmonyy(value: str, reference_year: int, *, past: bool = False) -> date | None:
    """``12JUL64`` (SSR DOCS) with the century resolved against the reference year."""
    match = DAY_MONTH_YEAR.match(value.strip().upper())
    if match is None or match.group(2) not in MONTHS:
        return None
    day, month, year_text = int(match.group(1)), MONTHS[match.group(2)], match.group(3)
    year = int(year_text) if len(year_text) == 4 else century_year(int(year_text), reference_year, past=past)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def with_time(day: date | None, hhmm: str) -> datetime | None:
    """A date plus ``HHMM`` (``None`` when either is missing or invalid)."""
    text = hhmm.strip()
    if day is None or len(text) != 4 or not text.isdigit():
        return None
    hour, minute = int(text[:2]), int(text[2:])
    if hour > 23 or minute > 59:
        return None
    return datetime(day.year, day.month, day.day, hour, minute)


def parse_edifact_datetime(value: str, format_code: str, reference_year: int) -> datetime | None:
    """DTM values by EDIFACT format code: 201 YYMMDDHHMM, 203 CCYYMMDDHHMM, 102 CCYYMMDD, 101 YYMMDD."""
    text = value.strip()
    if not text.isdigit():
        return None
    try:
        if format_code == "203" or len(text) == 12:
            return datetime.strptime(text, "%Y%m%d%H%M")
        if format_code == "201" or len(text) == 10:
            day = parse_yymmdd(text[:6], reference_year)
            return with_time(day, text[6:10])
        if format_code == "102" or len(text) == 8:
            return datetime.strptime(text, "%Y%m%d")
        day = parse_yymmdd(text[:6], reference_year)
        return datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
