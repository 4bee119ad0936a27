"""Property tests, one per tolerance rule: damage the shared samples that way, and the same records (names,
documents, legs, parties, every field) must still come out, each carrying the rule's warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import MessageContext, parse_message
from scenario.off_spec import DAMAGE_BY_FOLDER, Damage
from schemas.records import Record, Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
UNREADABLE = {"danglingMetaCharacter.edi"}  # a genuinely ambiguous UNA: rejected before and after damage
CTX = MessageContext(source="off-spec")
PROFILE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def samples(folder: str) -> list[Path]:
    return [
        p
        for p in sorted((FEEDS / folder).iterdir())
        if p.is_file() and not p.name.upper().startswith(("LICENSE", "README")) and p.name not in UNREADABLE
    ]


CASES = [
    (folder, kind, damage, sample)
    for folder, kinds in DAMAGE_BY_FOLDER.items()
    for kind, damage in kinds.items()
    for sample in samples(folder)
    if damage(sample.read_bytes(), 0) is not None  # the damage applies to this sample at all
]


def comparable(records: list[Record]) -> list[dict[str, object]]:
    return [r.model_dump(exclude={"message_id", "parse_warnings"}) for r in records]


@pytest.mark.parametrize(
    ("kind", "damage", "sample"),
    [pytest.param(kind, damage, sample, id=f"{kind}-{sample.name}") for _, kind, damage, sample in CASES],
)
@PROFILE
@given(position=st.integers(min_value=0, max_value=10_000))
def test_damaged_sample_yields_the_same_records_with_the_warning(
    kind: str, damage: Damage, sample: Path, position: int
) -> None:
    variant = damage(sample.read_bytes(), position)
    assert variant is not None
    reference = parse_message(variant.reference, CTX)
    assert not any(isinstance(r, Rejection) for r in reference)
    records = parse_message(variant.damaged, CTX)
    if variant.rejection_allowed and len(records) == 1 and isinstance(records[0], Rejection):
        # Repaired only when unambiguous: otherwise a reason that names the damage, never other records.
        assert records[0].reason.startswith(variant.rejection_allowed) and "UNA" in records[0].detail
        return
    assert comparable(records) == comparable(reference), [r.detail for r in records if isinstance(r, Rejection)]
    if variant.warning is not None:
        for record in records:
            assert variant.warning in {w.code for w in record.parse_warnings}, (record.id, record.parse_warnings)
