"""The documents Sekisho's own work writes beside the records: alerts, inspection results, the API's
audit trail and the crawl frontier's URL states. Declared here, like the records, so that the index
registry (``schemas/indexed.py``) and the generated mappings see every indexed type in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.records import EvidenceLink, Frozen, Text, make_id

Severity = Literal["medium", "high", "critical"]
Outcome = Literal["nothing_found", "seizure", "revenue_recovered"]
FetchStatus = Literal["discovered", "fetched", "unchanged", "duplicate", "redirected", "error", "refused"]


class Alert(Frozen):
    id: str
    key: str  # deduplication key
    record_id: str
    record_type: str
    label: str
    score: float
    severity: Severity
    title: str
    reasons: list[str] = Field(default_factory=list)  # why it alerted: threshold and alert rules
    explanation: list[str] = Field(default_factory=list)  # every part of the score, with graph paths
    graph_path: list[str] = Field(default_factory=list)
    # Web pages the alert rests on (graph path edges a crawled page asserted): archived copy and grade.
    evidence: list[EvidenceLink] = Field(default_factory=list)
    port: str | None = None
    created_at: datetime
    source_received_at: datetime | None = None


AlertState = Literal["new", "acknowledged", "closed"]
Disposition = Literal["true_hit", "false_positive", "not_relevant"]
SEVERITY_RANK: dict[str, int] = {"medium": 1, "high": 2, "critical": 3}


class AlertNote(Frozen):
    at: datetime
    author: str  # the API key's name
    text: Text


class AlertTriage(Frozen):
    """An analyst's handling of one target's alert (one document per alert key, updated in place).

    ``severity_seen`` is the band of the alert when it was last acknowledged or closed: a later alert of
    the same key in a higher band re-opens it as new and escalated (``targeting.triage``).
    """

    id: str  # the alert key
    state: AlertState = "new"
    assignee: str | None = None
    disposition: Disposition | None = None
    notes: list[AlertNote] = Field(default_factory=list)
    severity_seen: Severity | None = None
    updated_at: datetime
    updated_by: str


ScreeningVerdict = Literal["confirm", "false_positive", "unsure"]


def screening_decision_id(subject_key: str, entry_id: str) -> str:
    """One decision document per pair: a new decision on the pair replaces it (the audit trail keeps all)."""
    return make_id("screening_decision", subject_key, entry_id)


class ScreeningDecision(Frozen):
    """An analyst's word on one screening hit: a subject (a traveller, a company) against one list entry.

    ``subject_key`` names the subject as screening sees it (``enrichment.screening.decisions``), so the
    decision reaches every later record of the same subject; ``entry_fingerprint`` is the list entry's
    content when decided: once the entry changes (a new alias, a new date of birth) the decision no
    longer applies and the pair is screened, and reviewed, again.
    """

    id: str = ""
    subject_key: str
    entry_id: str
    list_name: str
    entry_fingerprint: str
    verdict: ScreeningVerdict
    record_id: str  # the record the hit was reviewed on
    entity_id: str | None = None
    subject_name: str
    matched_name: str
    decided_by: str  # the API key's name
    decided_at: datetime
    note: Text | None = None
    reversed_by: str | None = None
    reversed_at: datetime | None = None

    @model_validator(mode="after")
    def _fill_id(self) -> ScreeningDecision:
        if not self.id:
            object.__setattr__(self, "id", screening_decision_id(self.subject_key, self.entry_id))
        return self

    @property
    def in_force(self) -> bool:
        return self.reversed_at is None


class InspectionResult(Frozen):
    """What an officer found when inspecting one selected passenger or consignment."""

    id: str = ""
    record_id: str
    record_type: str
    outcome: Outcome
    revenue_recovered: float = Field(default=0.0, ge=0)
    seized_goods: Text | None = None
    officer: str | None = None
    port: str | None = None
    inspected_at: datetime
    selection: Literal["model", "random", "other"] = "other"
    inspection: Literal["exam", "xray"] | None = None  # the queue lane the pick came from
    score: float | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _fill_id(self) -> InspectionResult:
        if not self.id:
            object.__setattr__(self, "id", make_id("inspection_result", self.record_id, self.inspected_at.isoformat()))
        return self

    @property
    def illicit(self) -> bool:
        return self.outcome != "nothing_found"


class AuditEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    at: datetime
    key_id: str
    role: str
    action: str  # search, entity.view, graph.paths, export.watchlist, queue.view, ...
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    result_count: int | None = None
    # Hash chain (targeting/api/audit.py): position, the previous entry's hash, this entry's hash.
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


class SealedRecord(Frozen):
    """The original of a depersonalised PNR record, kept apart until its deletion date: stored, not indexed
    (no search reaches it), read only through an approved re-identification."""

    id: str  # the record's id
    record_type: str
    record: dict[str, Any]
    sealed_at: datetime
    delete_after: datetime


ReidentificationStatus = Literal["pending", "approved", "rejected"]


class Reidentification(Frozen):
    """A request to see depersonalised PNR records again, tied to a case, approved by a second person."""

    id: str
    record_ids: list[str]
    case_reference: str
    legal_basis: str
    reason: Text
    requested_by: str  # key id
    requested_by_name: str
    requested_at: datetime
    status: ReidentificationStatus = "pending"
    decided_by: str | None = None  # the approver's key id
    decided_at: datetime | None = None
    expires_at: datetime | None = None


class UrlStatus(BaseModel):
    """One URL in the frontier (also the document in the ``crawl-status`` index)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    url: str  # canonical
    source_name: str
    status: FetchStatus = "discovered"
    depth: int = 0
    next_fetch_date: datetime | None = None
    last_fetched: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    http_status: int | None = None
    fail_count: int = 0
    record_id: str | None = None
    reason: str | None = None


Verdict = Literal["confirm", "reject", "unsure"]


class MatchJudgement(Frozen):
    """An analyst's word on whether two records describe the same traveller, consignment or party.

    Judgements override the resolution rules (a rejected pair never merges again, a confirmed one
    merges whatever the rules say) and are kept, never edited: the latest judgement of a pair is the
    one in force, and the earlier ones stay as its audit trail.
    """

    id: str = ""
    left: str  # record ids, in order (left < right)
    right: str
    verdict: Verdict
    analyst: str  # the API key id that judged
    judged_at: datetime
    note: Text | None = None
    rule: str | None = None  # the rule that had proposed the merge, if any
    reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order_and_id(self) -> MatchJudgement:
        if self.right < self.left:
            left, right = self.right, self.left
            object.__setattr__(self, "left", left)
            object.__setattr__(self, "right", right)
        if self.left == self.right:
            raise ValueError("a record is always the same entity as itself")
        if not self.id:
            judgement_id = make_id("match_judgement", self.left, self.right, self.judged_at.isoformat())
            object.__setattr__(self, "id", judgement_id)
        return self


class EntityMembership(Frozen):
    """Which canonical entity a record belongs to (one document per resolved record)."""

    id: str  # the record id
    record_type: str
    entity_id: str  # the canonical id: the smallest record id of the cluster
    kind: str  # traveller, consignment, party, flight
    label: str
    members: list[str] = Field(default_factory=list)  # every record of the entity, the canonical one first
    reasons: list[str] = Field(default_factory=list)  # why this record joined the entity


class SavedSearch(Frozen):
    """A search an analyst kept (its query and filters), theirs alone; subscribed, it alerts on new matches.

    Only records that arrive (``indexed_at``) from ``subscribed_at`` on are new; ``watermark`` is the
    arrival time of the newest match a run read, where the next run resumes (``targeting.saved_searches``).
    """

    id: str
    name: Text
    query: Text
    kinds: list[str] = Field(default_factory=list)  # record types or graph node kinds; empty: all
    min_risk: float | None = None
    owner: str  # the API key's name
    owner_key_id: str
    subscribed: bool = False
    subscribed_at: datetime | None = None
    watermark: datetime | None = None
    alerted: int = 0  # alerts raised so far
    last_run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


CaseState = Literal["open", "closed"]
CaseOrigin = Literal["alert", "pick", "entity"]


class CaseEvidence(Frozen):
    """A piece of evidence a case points to: an archived copy (``warc-file:offset``) or an address."""

    ref: str
    label: Text
    added_by: str
    added_at: datetime


class Case(Frozen):
    """An analyst's case: the alerts, entities, screening decisions, evidence and notes of one matter.

    ``id`` is what PNR access cites (``X-Sekisho-Purpose: case:<id>``, with the case's ``legal_basis``);
    the case is exported for a partner agency or a prosecutor (``targeting.case_export``).
    """

    id: str
    title: Text
    state: CaseState = "open"
    owner: str  # the API key's name
    owner_key_id: str
    legal_basis: str
    opened_from: CaseOrigin
    origin_id: str  # the alert key, the picked record or the entity it was opened from
    alerts: list[str] = Field(default_factory=list)  # alert keys
    entities: list[str] = Field(default_factory=list)  # record or graph node ids
    decisions: list[str] = Field(default_factory=list)  # screening decision ids
    evidence: list[CaseEvidence] = Field(default_factory=list)
    notes: list[AlertNote] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    updated_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None
