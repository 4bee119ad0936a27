"""Watchlist files as fetched: content-addressed storage with a manifest of the latest file per list,
and the set of files screening builds its index from.

The list crawler writes each fetched file once per (list, content hash) and points the manifest
(``latest.json``) at it. Screening reads ``screening_list_dir``: the bundled snapshot with every file
the crawler has fetched put in place of the bundled file of the same name, so a refreshed list changes
the index's content hash and the index is rebuilt from the new file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

MANIFEST = "latest.json"
SELECTION_PREFIX = "lists-"  # + the selection's digest: a directory screening reads
# A selection directory, its lock file, or a build in progress or abandoned (``.lists-<digest>.<random>.tmp``).
SELECTION_ENTRY = re.compile(r"^\.?(" + re.escape(SELECTION_PREFIX) + r"[0-9a-f]{16})(?:\.lock|\..+\.tmp)?$")
SWEEP_LOCK = ".sweep.lock"

_held: dict[Path, int] = {}  # selection directory -> descriptor of its lock file, shared-locked by this process
_held_guard = threading.Lock()


@dataclass(frozen=True)
class ListFile:
    list_name: str
    content_hash: str
    path: str
    url: str
    fetched_at: str

    @property
    def file_name(self) -> str:
        """The list's own file name (the last part of the URL it was fetched from: ``sdn.csv``)."""
        return Path(urlsplit(self.url).path).name


def _slug(name: str) -> str:
    return "".join(ch.lower() if ch.isalnum() else "-" for ch in name).strip("-") or "list"


def store_list_file(
    directory: Path, list_name: str, content_hash: str, body: bytes, url: str, fetched_at: str
) -> ListFile:
    """Write the bytes once per (list, hash) and point the manifest at them (atomic rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = Path(urlsplit(url).path).suffix[:8] or ".bin"
    path = directory / f"{_slug(list_name)}-{content_hash[:16]}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)
    entry = ListFile(list_name, content_hash, str(path), url, fetched_at)
    manifest = latest_list_files(directory)
    manifest[list_name] = entry
    tmp_manifest = directory / (MANIFEST + ".tmp")
    tmp_manifest.write_text(json.dumps({k: asdict(v) for k, v in sorted(manifest.items())}, indent=2))
    os.replace(tmp_manifest, directory / MANIFEST)
    return entry


def latest_list_files(directory: Path) -> dict[str, ListFile]:
    path = directory / MANIFEST
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {name: ListFile(**entry) for name, entry in data.items()}


def screening_files(bundled_dir: Path, crawled_dir: Path | None) -> dict[str, Path]:
    """File name → path of every list file screening uses: the bundled snapshot, overridden by the
    latest crawled file of the same name (a crawled file whose stored copy is gone is skipped)."""
    files = {p.name: p for p in sorted(bundled_dir.iterdir()) if p.is_file()} if bundled_dir.is_dir() else {}
    if crawled_dir is not None:
        for entry in latest_list_files(crawled_dir).values():
            stored = Path(entry.path)
            if entry.file_name and stored.is_file():
                files[entry.file_name] = stored
    return files


def screening_list_dir(bundled_dir: Path, crawled_dir: Path | None, work_dir: Path) -> Path:
    """A directory holding exactly ``screening_files`` under their list file names.

    Without crawled files this is ``bundled_dir`` itself; otherwise a directory under ``work_dir`` named
    by the selection's digest (hard links where the file system allows, copies elsewhere), so screening
    reads one directory whatever the source of each file.

    Several processes share ``work_dir`` (the stream's workers, ``sekisho screen``, the API), so:
    the directory is built under a temporary name and renamed into place, so no one sees it half
    built; this process holds a shared lock on it for as long as it lives, because its caller goes on
    reading it after this returns; and directories of other selections are removed only under the
    work directory's sweep lock, and only when no live process holds them.
    """
    files = screening_files(bundled_dir, crawled_dir)
    if all(path.parent == bundled_dir for path in files.values()):
        return bundled_dir
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(f"{name}\0{path.resolve()}\0{path.stat().st_size}\0{path.stat().st_mtime_ns}\n".encode())
    target = work_dir / f"{SELECTION_PREFIX}{digest.hexdigest()[:16]}"
    work_dir.mkdir(parents=True, exist_ok=True)
    _hold(target)  # before looking: a sweep cannot remove it between the check and the caller's reads
    if not target.is_dir():
        _build(target, files)
    _sweep(work_dir, keep=target)
    return target


def _lock_file(selection: Path) -> Path:
    return selection.with_name(selection.name + ".lock")


def _hold(selection: Path) -> None:
    """Take a shared lock on ``selection`` for the rest of this process's life (once per process).

    The lock file may be unlinked by a sweep between our open and our lock; a lock on an unlinked file
    protects nothing, so the lock is taken again until it is on the file the path names."""
    with _held_guard:
        if selection in _held:
            return
        lock_path = _lock_file(selection)
        while True:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                current = os.stat(lock_path)
            except FileNotFoundError:
                current = None
            if current is not None and os.path.samestat(current, os.fstat(fd)):
                _held[selection] = fd
                return
            os.close(fd)


def _build(target: Path, files: dict[str, Path]) -> None:
    """Link the files into a fresh temporary directory and rename it to ``target`` in one step."""
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name, path in files.items():
            try:
                os.link(path, partial / name)
            except OSError:  # another file system, or one without hard links
                shutil.copyfile(path, partial / name)
        os.rename(partial, target)
    except OSError:
        if not target.is_dir():
            raise
        # Another process renamed the same selection into place first; its copy is as good as ours.
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _sweep(work_dir: Path, keep: Path) -> None:
    """Remove the selections no live process holds (and what crashed builds left), except ``keep``.

    One process sweeps at a time (the sweep lock). A selection is taken away only with an exclusive lock
    on its lock file, which fails while any process holds it shared: the directory is renamed out of the
    ``lists-`` names first, so no one ever finds it half deleted, and its lock file is unlinked while
    still locked, so a process that opened it meanwhile notices and locks the new one."""
    trash: list[Path] = []
    with open(work_dir / SWEEP_LOCK, "a") as sweep:
        fcntl.flock(sweep, fcntl.LOCK_EX)
        names = {
            match.group(1)
            for entry in os.listdir(work_dir)
            if (match := SELECTION_ENTRY.match(entry)) and match.group(1) != keep.name
        }
        for name in sorted(names):
            selection = work_dir / name
            fd = os.open(_lock_file(selection), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # in use by a live process (this one included)
                if selection.is_dir():
                    removed = work_dir / f".trash-{name}-{os.getpid()}-{secrets.token_hex(4)}"
                    os.rename(selection, removed)
                    trash.append(removed)
                trash.extend(work_dir / entry for entry in os.listdir(work_dir) if entry.startswith(f".{name}."))
                os.unlink(_lock_file(selection))
            finally:
                os.close(fd)
        trash.extend(work_dir / entry for entry in os.listdir(work_dir) if entry.startswith(".trash-"))
    for path in trash:  # outside the lock: nothing reaches these names any more
        shutil.rmtree(path, ignore_errors=True)
