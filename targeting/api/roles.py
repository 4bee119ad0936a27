"""Who may call the API. A key carries exactly one role; each route names the roles it admits."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"  # searches and explores records, entities and the graph
    CT_UNIT = "ct_unit"  # counter-terrorism unit: alerts and their subscriptions
    ENFORCEMENT = "enforcement"  # inspection queues, inspection results, watchlist exports
    ADMIN = "admin"  # keys and everything else
    CARRIER = "carrier"  # airlines and forwarders: may only submit raw messages
    APPROVER = "approver"  # approves re-identification of depersonalised PNR data (a second person)


ALL_ROLES: frozenset[Role] = frozenset(Role)
