"""Evidence copies: every fetched page archived as WARC (ISO 28500), the format web archives use.

``WarcArchive`` appends to gzip-compressed WARC files in one directory, rotated by size
(``sekisho-<time>-<pid>-<random>-<n>.warc.gz``). For each page it writes the ``response`` record (status line,
response headers, body, ``WARC-Payload-Digest``, ``WARC-Date`` = fetch time) followed by the ``request``
record (method, request headers) that points back to it; a re-fetch whose content did not change, or that
the server answered ``304 Not Modified``, is a ``revisit`` record that names the copy it repeats. Each WARC
file has a CDXJ index beside it (``<file>.cdxj``: canonical URL, timestamp, and the record's offset, length
and digest), from which the archive knows the latest copy of every URL (change history) without reading the
WARC files.

Scrapy hands bodies over decoded (no gzip transfer encoding): the body is archived as the crawler
parsed it, and the headers that described the encoded form (``Content-Encoding``, ``Content-Length``,
``Transfer-Encoding``) are kept as ``X-Sekisho-Orig-*`` so a WARC reader does not decode twice.

Not thread-safe: one writer thread owns an archive (``crawlers.emitter``). Readers (``read_copy``) open
files on their own.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from schemas.records import Evidence

log = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
INDEX_SUFFIX = ".cdxj"
_RENAMED = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content", 304: "Not Modified"}
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"

HeaderPairs = list[tuple[str, str]]


class EvidenceError(Exception):
    """An evidence copy that cannot be shown: unknown id, expired by retention, or a digest that no longer matches."""


def header_pairs(headers: Any) -> HeaderPairs:
    """Scrapy ``Headers`` (bytes -> list of bytes), or any mapping / pair list, as (name, value) text pairs."""
    if headers is None:
        return []
    items: Iterable[tuple[Any, Any]] = headers.items() if isinstance(headers, Mapping) else headers
    pairs: HeaderPairs = []
    for name, values in items:
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values if isinstance(values, list | tuple) else [values]:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


def _archived_headers(pairs: HeaderPairs, body_length: int) -> HeaderPairs:
    kept = [(f"X-Sekisho-Orig-{n}" if n.lower() in _RENAMED else n, v) for n, v in pairs]
    return [*kept, ("Content-Length", str(body_length))]


def payload_digest(body: bytes) -> str:
    """``sha1:<base32>``, the WARC payload digest as warcio (and most web archives) write it."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def _warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ArchivedCopy:
    """A page read back from the archive."""

    evidence: Evidence
    url: str
    record_type: str  # response or revisit
    status_line: str
    response_headers: HeaderPairs
    request_line: str | None
    request_headers: HeaderPairs
    body: bytes
    digest_ok: bool  # the body still has the digest recorded when it was written
    refers_to: str | None = None  # for a revisit: the digest of the copy it repeats

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self.response_headers if n.lower() == wanted), None)


class WarcArchive:
    """Appends WARC records to size-rotated files under ``directory`` and indexes them (CDXJ)."""

    def __init__(self, directory: Path, max_file_bytes: int = 256 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] | None = None
        self._index: IO[str] | None = None
        self._name = ""
        self._writer: WARCWriter | None = None
        self._sequence = 0
        self._latest: dict[str, Evidence] | None = None  # canonical URL -> its latest copy, loaded on demand

    # -- writing ------------------------------------------------------------------------------------

    def _open_next(self) -> WARCWriter:
        self.close()
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        # Unique across processes and archives of one process (several crawls may start in one second).
        self._name = f"sekisho-{stamp}-{os.getpid()}-{secrets.token_hex(3)}-{self._sequence:05d}{WARC_SUFFIX}"
        self._file = (self.directory / self._name).open("ab")
        self._index = (self.directory / (self._name + INDEX_SUFFIX)).open("a", encoding="utf-8")
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")  # 1.1: fractional-second dates
        info = self._writer.create_warcinfo_record(self._name, {"software": "Sekisho", "format": "WARC/1.1"})
        self._writer.write_record(info)
        return self._writer

    def _current(self) -> tuple[WARCWriter, IO[bytes]]:
        if self._writer is None or self._file is None or self._file.tell() >= self.max_file_bytes:
            self._open_next()
        assert self._writer is not None and self._file is not None
        return self._writer, self._file

    def _append(self, record: Any) -> tuple[int, int]:
        """Write into the current file (rotation happens only before a page's first record, in ``_current``,
        so a response and its request always share a file)."""
        assert self._writer is not None and self._file is not None
        offset = self._file.tell()
        self._writer.write_record(record)
        return offset, self._file.tell() - offset

    def write_response(
        self,
        *,
        url: str,
        canonical: str,
        status: int,
        body: bytes,
        fetched_at: datetime,
        response_headers: HeaderPairs,
        request_headers: HeaderPairs,
        method: str = "GET",
        protocol: str = "HTTP/1.1",
    ) -> Evidence:
        """Archive one fetched page (response, then its request); the response record is the evidence."""
        writer, _ = self._current()
        date = _warc_date(fetched_at)
        http = StatusAndHeaders(
            f"{status} {_REASONS.get(status, 'OK' if status < 300 else '')}".strip(),
            _archived_headers(response_headers, len(body)),
            protocol=protocol,
        )
        response = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
        offset, length = self._append(response)
        record_id = str(response.rec_headers.get_header("WARC-Record-ID"))
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        request = writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(f"{method} /{path} {protocol}", request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )
        self._append(request)
        digest = str(response.rec_headers.get_header("WARC-Payload-Digest"))
        evidence = Evidence(
            warc_file=self._name,
            offset=offset,
            length=length,
            digest=digest,
            warc_record_id=record_id,
            fetched_at=fetched_at,
        )
        self._indexed(canonical, evidence, status, "response")
        return evidence

    def write_revisit(
        self,
        *,
        url: str,
        canonical: str,
        status: int,
        fetched_at: datetime,
        response_headers: HeaderPairs,
        body: bytes | None,
        protocol: str = "HTTP/1.1",
    ) -> Evidence | None:
        """Record a re-fetch whose content is already archived: headers only, naming the copy it repeats.

        ``body`` is the re-fetched body (same content as an archived copy: profile identical-payload-digest),
        or None for a ``304 Not Modified`` (profile server-not-modified; the digest is the archived copy's).
        A 304 for a URL with no archived copy (expired by retention) has nothing to refer to: None.
        """
        writer, _ = self._current()
        previous = self.latest(canonical)
        if body is not None:
            digest = payload_digest(body)
        elif previous is not None:
            digest = previous.digest
        else:
            return None
        http = StatusAndHeaders(
            f"{status} {_REASONS.get(status, '')}".strip(), _archived_headers(response_headers, 0), protocol=protocol
        )
        extra = {"WARC-Date": _warc_date(fetched_at)}
        if previous is not None:
            extra["WARC-Refers-To"] = previous.warc_record_id
        revisit = writer.create_revisit_record(
            url,
            digest=digest,
            refers_to_uri=url,
            refers_to_date=_warc_date(previous.fetched_at) if previous else None,
            http_headers=http,
            warc_headers_dict=extra,
        )
        if body is None:
            revisit.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
        offset, length = self._append(revisit)
        return Evidence(
            warc_file=self._name,
            offset=offset,
            length=length,
            digest=digest,
            warc_record_id=str(revisit.rec_headers.get_header("WARC-Record-ID")),
            fetched_at=fetched_at,
        )

    def _indexed(self, canonical: str, evidence: Evidence, status: int, kind: str) -> None:
        assert self._index is not None
        entry = {
            "url": canonical,
            "filename": evidence.warc_file,
            "offset": evidence.offset,
            "length": evidence.length,
            "digest": evidence.digest,
            "id": evidence.warc_record_id,
            "status": status,
            "type": kind,
            "fetched_at": evidence.fetched_at.isoformat(),
        }
        self._index.write(f"{canonical} {evidence.fetched_at.strftime('%Y%m%d%H%M%S')} {json.dumps(entry)}\n")
        if self._latest is not None:
            self._latest[canonical] = evidence

    def flush(self) -> None:
        """Make everything written so far readable by others (one call per batch, not per record)."""
        if self._file is not None:
            self._file.flush()
        if self._index is not None:
            self._index.flush()

    def close(self) -> None:
        for handle in (self._file, self._index):
            if handle is not None:
                handle.close()
        self._file = self._index = None
        self._writer = None

    # -- history ------------------------------------------------------------------------------------

    def latest(self, canonical: str) -> Evidence | None:
        """The newest archived copy of a URL (before anything this call's caller is about to write)."""
        if self._latest is None:
            self._latest = {}
            for url, evidence in index_entries(self.directory):
                known = self._latest.get(url)
                if known is None or known.fetched_at <= evidence.fetched_at:
                    self._latest[url] = evidence
        return self._latest.get(canonical)


def index_entries(directory: Path) -> Iterator[tuple[str, Evidence]]:
    """Every indexed response copy in ``directory``: (canonical URL, evidence), file by file.

    A line that cannot be read (a write cut short by a crash) is skipped with a warning: the WARC file is
    intact up to it, and the rest of the index stays usable.
    """
    for index in sorted(directory.glob(f"*{WARC_SUFFIX}{INDEX_SUFFIX}")):
        with index.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    yield _index_line(line)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("%s:%d: index line skipped: %r", index.name, number, exc)


def _index_line(line: str) -> tuple[str, Evidence]:
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) != 3:
        raise ValueError("not '<url> <timestamp> <json>'")
    entry = json.loads(parts[2])
    evidence = Evidence(
        warc_file=entry["filename"],
        offset=entry["offset"],
        length=entry["length"],
        digest=entry["digest"],
        warc_record_id=entry["id"],
        fetched_at=datetime.fromisoformat(entry["fetched_at"]),
    )
    return str(entry["url"]), evidence


def history(directory: Path, canonical: str) -> list[Evidence]:
    """Every archived copy of a URL, oldest first."""
    return sorted((e for url, e in index_entries(directory) if url == canonical), key=lambda e: e.fetched_at)


def parse_evidence_id(evidence_id: str) -> tuple[str, int]:
    name, _, offset = evidence_id.rpartition(":")
    if not name.endswith(WARC_SUFFIX) or "/" in name or "\\" in name or not offset.isdigit():
        raise EvidenceError(f"not an evidence id: {evidence_id!r} (expected <file>{WARC_SUFFIX}:<offset>)")
    return name, int(offset)


def read_copy(directory: Path, evidence_id: str) -> ArchivedCopy:
    """The archived page behind an evidence id, its request, and whether its digest still holds."""
    name, offset = parse_evidence_id(evidence_id)
    path = directory / name
    if not path.exists():
        raise EvidenceError(f"{evidence_id}: the WARC file is gone (expired by evidence retention, or elsewhere)")
    with path.open("rb") as file:
        file.seek(offset)
        records = ArchiveIterator(file)
        record = next(records, None)
        if record is None or record.rec_type not in ("response", "revisit"):
            raise EvidenceError(f"{evidence_id}: no response record at that offset")
        url = str(record.rec_headers.get_header("WARC-Target-URI"))
        digest = str(record.rec_headers.get_header("WARC-Payload-Digest"))
        body = record.content_stream().read() if record.rec_type == "response" else b""
        warc_date = str(record.rec_headers.get_header("WARC-Date"))
        record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
        http = record.http_headers
        status_line = f"{http.protocol} {http.statusline}" if http is not None else ""
        response_headers = list(http.headers) if http is not None else []
        refers_to = digest if record.rec_type == "revisit" else None
        rec_type = str(record.rec_type)
        request_line, request_headers = None, []
        following = next(records, None)
        if (
            following is not None
            and following.rec_type == "request"
            and following.rec_headers.get_header("WARC-Concurrent-To") == record_id
            and following.http_headers
        ):
            request_line = f"{following.http_headers.protocol} {following.http_headers.statusline}"
            request_headers = list(following.http_headers.headers)
        length = file.tell() - offset
    fetched = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    evidence = Evidence(
        warc_file=name, offset=offset, length=length, digest=digest, warc_record_id=record_id, fetched_at=fetched
    )
    return ArchivedCopy(
        evidence=evidence,
        url=url,
        record_type=rec_type,
        status_line=status_line,
        response_headers=response_headers,
        request_line=request_line,
        request_headers=request_headers,
        body=body,
        digest_ok=rec_type == "revisit" or payload_digest(body) == digest,
        refers_to=refers_to,
    )


def prune(directory: Path, max_age: timedelta, now: datetime | None = None) -> list[Path]:
    """Evidence retention: delete WARC files (and their indices) last written more than ``max_age`` ago."""
    cutoff = (now or datetime.now(UTC)).timestamp() - max_age.total_seconds()
    removed = []
    for path in sorted(directory.glob(f"*{WARC_SUFFIX}")):
        if path.stat().st_mtime < cutoff:
            for file in (path, path.with_name(path.name + INDEX_SUFFIX)):
                file.unlink(missing_ok=True)
            removed.append(path)
    return removed


def decoded_text(body: bytes, content_type: str | None) -> str | None:
    """The text of an archived body, by the charset its headers declared (UTF-8 otherwise)."""
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip("\"' ")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
