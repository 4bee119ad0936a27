"""What the format parsers share when they turn parsed values into records.

Provenance (format, source, message id), deterministic ids that stay unique inside one message, party
identities and a consignment's references to its parties, stated totals, the dead letter of one unreadable
part of a message, and merging the records that several parts of one message describe (the same flight
leg in a header and an itinerary, the same company as shipper and notify party).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from feeds.base import MessageContext, rejection
from schemas.records import Address, ParseWarning, Party, Record, Rejection, make_id, message_id_of

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class Provenance:
    source_format: str
    source: str | None
    message_id: str
    received_at: datetime | None
    warnings: tuple[ParseWarning, ...] = ()  # what was tolerated in the message (or part) the records come from

    @classmethod
    def of(
        cls, payload: bytes, ctx: MessageContext, source_format: str, warnings: Iterable[ParseWarning] = ()
    ) -> Provenance:
        message_id = ctx.message_id or message_id_of(payload)
        return cls(source_format, ctx.source, message_id, ctx.received_at, tuple(warnings))

    def with_warnings(self, warnings: Iterable[ParseWarning]) -> Provenance:
        """The same provenance for the records of one part that had deviations of its own."""
        extra = tuple(w for w in warnings if w not in self.warnings)
        return replace(self, warnings=self.warnings + extra) if extra else self

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "source_format": self.source_format,
            "source": self.source,
            "message_id": self.message_id,
            "received_at": self.received_at,
        }
        if self.warnings:
            fields["parse_warnings"] = list(self.warnings)
        return fields


def part_rejection(
    payload: bytes, ctx: MessageContext, provenance: Provenance, *, part: str, reason: str, detail: str
) -> Rejection:
    """One part of a message that could not be read, as a dead letter that names it; the other parts stay
    records. It carries what was tolerated in the message around it."""
    return rejection(
        payload,
        ctx,
        reason=reason,
        detail=f"{part}: {detail}",
        stage="parse",
        source_format=provenance.source_format,
        part=part,
        warnings=provenance.warnings,
    )


class IdAllocator:
    """``make_id`` that never hands out the same id twice within one message.

    Two records with the same natural key in one message (the same test passport for every crew member,
    say) are different records; the second gets an ordinal, which is still deterministic.
    """

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, record_type: str, *natural_key: object) -> str:
        record_id = make_id(record_type, *natural_key)
        self._seen[record_id] += 1
        count = self._seen[record_id]
        return record_id if count == 1 else make_id(record_type, *natural_key, f"#{count}")


def with_warnings(records: Iterable[R], warnings: Iterable[ParseWarning]) -> list[R]:
    """The records with ``warnings`` added (for deviations found while the records were being built)."""
    extra = list(warnings)
    if not extra:
        return list(records)
    return [
        r.model_copy(update={"parse_warnings": [*r.parse_warnings, *(w for w in extra if w not in r.parse_warnings)]})
        for r in records
    ]


def clean(value: str | None) -> str | None:
    """Collapse blanks; ``None`` for empty strings."""
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def total_given(counts: Iterable[int | None]) -> int | None:
    """The sum of the counts a message states; ``None`` when it states none (rather than a made-up 0)."""
    given = [count for count in counts if count is not None]
    return sum(given) if given else None


def _merge_values(first: Any, second: Any) -> Any:
    if isinstance(first, list) and isinstance(second, list):
        return first + [item for item in second if item not in first]
    return first if first not in (None, "", []) else second


def merge_by_id(records: Iterable[R]) -> list[R]:
    """One record per id, in first-seen order; later duplicates fill fields the first left empty."""
    merged: dict[str, R] = {}
    for record in records:
        existing = merged.get(record.id)
        if existing is None:
            merged[record.id] = record
            continue
        update = {
            name: _merge_values(getattr(existing, name), getattr(record, name))
            for name in type(record).model_fields
            if name not in ("id", "record_type")
        }
        merged[record.id] = existing.model_copy(update=update)
    return list(merged.values())


def party_id(name: str, address: Address | None, registration_ids: list[str]) -> str:
    """A trade party's identity: its registration number (EORI, TIN) when known, else name and address.

    The key carries no message or source, so the same company named in many waybills and declarations
    is one node in the link graph.
    """
    if registration_ids:
        return make_id("party", "registration", registration_ids[0])
    where = address or Address()
    return make_id("party", name, " ".join(where.lines), where.city, where.postcode, where.country)


def build_party(
    provenance: Provenance,
    *,
    name: str,
    role: str,
    address: Address | None = None,
    phones: list[str] | None = None,
    emails: list[str] | None = None,
    registration_ids: list[str] | None = None,
    schema_name: str = "LegalEntity",
) -> Party:
    registrations = [r for r in (registration_ids or []) if r]
    return Party(
        id=party_id(name, address, registrations),
        name=name,
        schema_name=schema_name,
        roles=[role],
        address=address,
        phones=[p for p in (phones or []) if p],
        emails=[e for e in (emails or []) if e],
        registration_ids=registrations,
        **provenance.fields(),
    )


def party_references(shipper: Party | None, consignee: Party | None, notify: Party | None = None) -> dict[str, Any]:
    """A consignment's links to its parties: the ids that are graph edges and the names shown beside them."""
    return {
        "shipper_id": shipper.id if shipper else None,
        "consignee_id": consignee.id if consignee else None,
        "notify_party_id": notify.id if notify else None,
        "shipper_name": shipper.name if shipper else None,
        "consignee_name": consignee.name if consignee else None,
    }
