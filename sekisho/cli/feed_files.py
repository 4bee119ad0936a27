"""Turn files and directories into raw messages (one file = one message, as carriers send them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from schemas.records import message_id_of
from sekisho.kafka_io import RawMessage

# Licence and documentation files that live beside the sample feeds are not messages.
SKIPPED_NAMES = {"README.md", "manifest.json"}


def message_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_message(p)))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(str(path))
    return files


def _is_message(path: Path) -> bool:
    return path.name not in SKIPPED_NAMES and not path.name.startswith((".", "LICENSE"))


def raw_messages(files: Iterable[Path], format_hint: str = "auto") -> Iterator[RawMessage]:
    for path in files:
        payload = path.read_bytes()
        yield RawMessage(payload=payload, source=str(path), format_hint=format_hint, key=message_id_of(payload))
