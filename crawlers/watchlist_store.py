"""Content-addressed storage of fetched watchlist files, with a manifest of the latest one per list.

The screening side reads ``latest_list_files`` (or the ``watchlist`` crawled-page records, which carry
the same hash and ``raw_location``) and rebuilds its index only for lists whose hash changed.
"""

from __future__ import annotations

import json
import os
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
