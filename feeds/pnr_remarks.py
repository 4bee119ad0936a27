"""Data protection for PNR content: which SSR codes and free-text remarks are sensitive.

PNR data that reveals religion or beliefs (special meals), health (wheelchairs, medical clearance,
oxygen) or similar sensitive categories must not be processed. Such elements are dropped at parse time;
the booking keeps only their count (``Booking.sensitive_removed``) so that the removal is auditable.
"""

from __future__ import annotations

import re

SPECIAL_MEALS = frozenset(
    {
        "AVML",
        "BBML",
        "BLML",
        "CHML",
        "DBML",
        "FPML",
        "GFML",
        "HFML",
        "HNML",
        "JNML",
        "JPML",
        "KSML",
        "LCML",
        "LFML",
        "LPML",
        "LSML",
        "MOML",
        "NBML",
        "NFML",
        "NLML",
        "ORML",
        "PFML",
        "PRML",
        "RVML",
        "SFML",
        "SPML",
        "VGML",
        "VJML",
        "VLML",
        "VOML",
    }
)
HEALTH_AND_ASSISTANCE = frozenset(
    {
        "BLND",
        "DEAF",
        "DPNA",
        "ESAN",
        "LEGL",
        "LEGR",
        "MAAS",
        "MEDA",
        "MEQT",
        "OXYG",
        "POXY",
        "PPOC",
        "SVAN",
        "STCR",
        "WCBD",
        "WCBW",
        "WCHC",
        "WCHR",
        "WCHS",
        "WCLB",
        "WCMP",
        "WCOB",
        "PRMA",
        "DEPA",
        "DEPU",
    }
)
SENSITIVE_SSR_CODES = SPECIAL_MEALS | HEALTH_AND_ASSISTANCE
SENSITIVE_WORDS = re.compile(
    r"\b(" + "|".join(sorted(SENSITIVE_SSR_CODES)) + r"|WHEEL ?CHAIR|MEDICAL|MEDICINE|OXYGEN|PREGNAN\w*|DIABET\w*"
    r"|HALAL|KOSHER|HINDU|MUSLIM|MOSLEM|JEWISH|RELIGIO\w*|DISABLED|DISABILITY|STRETCHER|BLIND|DEAF)\b",
    re.IGNORECASE,
)


def is_sensitive_code(code: str) -> bool:
    return code.strip().upper() in SENSITIVE_SSR_CODES


def is_sensitive_text(text: str) -> bool:
    return SENSITIVE_WORDS.search(text) is not None
