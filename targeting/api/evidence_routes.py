"""Routes for web evidence and source grades: the archived copy behind a web-derived fact, the crawl sources
with their grades, and analysts' regrading (audited).

``register`` adds them to the API router with the application's role gate, so roles and audit work as for
every other route. Evidence is read from the crawl's WARC directory (``crawlers.settings.evidence_dir``);
grades from the YAML definitions and the grade book under ``SEKISHO_HOME``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from crawlers.evidence import copy_view
from crawlers.settings import evidence_dir
from crawlers.source_grades import GradeBook, GradeChange, grade_book_path
from crawlers.sources import SourceDefinition, load_sources
from crawlers.warc_archive import EvidenceError, read_copy
from schemas.grading import Credibility, Reliability, describe_grade
from sekisho.settings import Settings
from targeting.api.roles import Role


class ArchivedCopyView(BaseModel):
    id: str
    url: str
    record_type: str  # response, or revisit (unchanged since an earlier copy)
    fetched_at: str
    digest: str
    digest_ok: bool
    warc_record_id: str
    status_line: str
    response_headers: list[list[str]]
    request_line: str | None = None
    request_headers: list[list[str]] = Field(default_factory=list)
    body_text: str


class SourceGradeView(BaseModel):
    name: str
    kind: str
    description: str
    grade: str  # in force: the latest analyst regrading, else the YAML grade
    meaning: str
    configured_grade: str
    history: list[GradeChange] = Field(default_factory=list)


class RegradeIn(BaseModel):
    reliability: Reliability
    credibility: Credibility
    reason: str = Field(min_length=3, max_length=500)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sources(settings: Settings) -> dict[str, SourceDefinition]:
    return load_sources(settings.crawl_fixture_site_url)


def _view(source: SourceDefinition, book: GradeBook) -> SourceGradeView:
    history = book.history(source.name)
    latest = history[-1] if history else None
    reliability = latest.reliability if latest else source.reliability
    credibility = latest.credibility if latest else source.credibility
    return SourceGradeView(
        name=source.name,
        kind=source.kind,
        description=source.description,
        grade=f"{reliability}{credibility}",
        meaning=describe_grade(reliability, credibility),
        configured_grade=source.grade,
        history=history,
    )


def register(router: APIRouter, gate: Callable[..., dict[str, Any]]) -> None:
    A, CT, EN, AD = Role.ANALYST, Role.CT_UNIT, Role.ENFORCEMENT, Role.ADMIN

    @router.get(
        "/evidence/{evidence_id}",
        **gate(A, CT, EN, AD),
        response_model=ArchivedCopyView,
        summary="the archived copy (WARC) a web-derived fact was drawn from: headers and body text, digest checked",
    )
    def evidence(request: Request, evidence_id: str) -> ArchivedCopyView:
        try:
            copy = read_copy(evidence_dir(_settings(request)), evidence_id)
        except EvidenceError as exc:
            raise HTTPException(404, str(exc)) from exc
        request.app.state.audit.record(
            request.state.principal, "evidence.view", request.url.path,
            {"evidence_id": evidence_id}, 1,
        )  # fmt: skip
        return ArchivedCopyView.model_validate(copy_view(copy))

    @router.get(
        "/sources",
        **gate(A, CT, AD),
        response_model=list[SourceGradeView],
        summary="crawl sources with their grade (reliability A-F, credibility 1-6) and its history",
    )
    def sources(request: Request) -> list[SourceGradeView]:
        settings = _settings(request)
        book = GradeBook(grade_book_path(settings.home))
        return [_view(source, book) for source in _sources(settings).values()]

    @router.put(
        "/sources/{name}/grade",
        **gate(A, AD),
        response_model=SourceGradeView,
        summary="regrade a source (audited); crawls from then on carry the new grade",
    )
    def regrade(request: Request, name: str, body: RegradeIn) -> SourceGradeView:
        settings = _settings(request)
        source = _sources(settings).get(name)
        if source is None:
            raise HTTPException(404, f"no source {name!r}")
        book = GradeBook(grade_book_path(settings.home))
        principal = request.state.principal
        change = book.regrade(source, body.reliability, body.credibility, by=principal.name, reason=body.reason)
        request.app.state.audit.record(
            principal, "source.regrade", request.url.path,
            {"source": name, "grade": change.grade, "previous": change.previous, "reason": body.reason}, 1,
        )  # fmt: skip
        return _view(source, book)
