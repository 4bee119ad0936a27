"""Watchlist files as fetched: content-addressed storage with a manifest of the latest file per list,
and the set of files screening builds its index from.

The list crawler writes each fetched file once per (list, content hash) and points the manifest
(``latest.json``) at it. Screening reads ``screening_list_dir``: the bundled snapshot with every file
the crawler has fetched put in place of the bundled file of the same name, so a refreshed list changes
the index's content hash and the index is rebuilt from the new file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

MANIFEST = "latest.json"


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
    """
    files = screening_files(bundled_dir, crawled_dir)
    if all(path.parent == bundled_dir for path in files.values()):
        return bundled_dir
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(f"{name}\0{path.resolve()}\0{path.stat().st_size}\0{path.stat().st_mtime_ns}\n".encode())
    target = work_dir / f"lists-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    partial = work_dir / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, path in files.items():
        try:
            os.link(path, partial / name)
        except OSError:
            shutil.copyfile(path, partial / name)
    try:
        os.replace(partial, target)
    except OSError:  # another process built the same selection first
        shutil.rmtree(partial, ignore_errors=True)
    for stale in work_dir.glob("lists-*"):
        if stale != target and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return target
