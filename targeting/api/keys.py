"""API keys, stored hashed (scrypt with a per-key salt) in a JSON file; the plain key is shown once.

A key reads ``sk_<key_id>_<secret>``: the id finds the stored hash without scanning, the secret is
checked in constant time. Verified keys are remembered in memory (by the SHA-256 of the whole key) so
that scrypt's deliberate slowness is paid once per key and process, not per request.

Before scrypt, a cheap pre-check compares 16 bits of a salted SHA-256 of the secret (``check_hex``):
a wrong secret is refused after one SHA-256 (so a flood of wrong secrets cannot burn the CPU and slow
valid callers down), and an unknown key id runs the very same pre-check against a dummy key, so
unknown and known ids answer alike (key ids cannot be enumerated by timing). 16 bits of a fast hash of
a 192-bit secret leave brute force where it was. Keys created before the pre-check get theirs stored
the first time they verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from targeting.api.roles import Role

KEY_PREFIX = "sk"
# scrypt cost: ~30 ms and 16 MiB per verification on a laptop core.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1


@dataclass(frozen=True)
class Principal:
    """The caller behind a verified key."""

    key_id: str
    role: Role
    name: str


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    role: Role
    name: str
    salt_hex: str
    hash_hex: str
    created_at: str
    revoked: bool = False
    check_hex: str | None = None  # the cheap pre-check (see module doc); None for keys made before it


def hash_secret(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32).hex()


def check_value(secret: str, salt: bytes) -> str:
    """16 bits of a salted SHA-256 of the secret: refuses almost every wrong secret without scrypt."""
    return hashlib.sha256(b"sekisho-key-check\x00" + salt + secret.encode()).hexdigest()[:4]


# What an unknown key id is checked against, so that it costs what a known one costs.
_DUMMY_SALT = secrets.token_bytes(16)
_DUMMY_CHECK = check_value(secrets.token_urlsafe(24), _DUMMY_SALT)


def split_key(plain: str) -> tuple[str, str] | None:
    parts = plain.strip().split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_key(role: Role, name: str) -> tuple[str, StoredKey]:
    """A fresh plain key and the record to store for it."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24).replace("_", "-")
    salt = secrets.token_bytes(16)
    stored = StoredKey(
        key_id=key_id,
        role=role,
        name=name,
        salt_hex=salt.hex(),
        hash_hex=hash_secret(secret, salt),
        created_at=datetime.now(UTC).isoformat(),
        check_hex=check_value(secret, salt),
    )
    return f"{KEY_PREFIX}_{key_id}_{secret}", stored


class KeyStore(Protocol):
    def add(self, stored: StoredKey) -> None: ...

    def get(self, key_id: str) -> StoredKey | None: ...

    def all(self) -> list[StoredKey]: ...


def revoke(store: KeyStore, key_id: str) -> bool:
    """Mark a key revoked (kept, so the audit trail's key ids still resolve); False if unknown."""
    stored = store.get(key_id)
    if stored is None:
        return False
    store.add(replace(stored, revoked=True))
    return True


class MemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, StoredKey] = {}

    def add(self, stored: StoredKey) -> None:
        self._keys[stored.key_id] = stored

    def get(self, key_id: str) -> StoredKey | None:
        return self._keys.get(key_id)

    def all(self) -> list[StoredKey]:
        return list(self._keys.values())


class FileKeyStore:
    """Keys in one JSON file (mode 0600), re-read when it changes so ``--create-key`` needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._keys: dict[str, StoredKey] = {}

    def _load(self) -> dict[str, StoredKey]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if mtime != self._mtime:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            self._keys = {row["key_id"]: StoredKey(**{**row, "role": Role(row["role"])}) for row in rows}
            self._mtime = mtime
        return self._keys

    def add(self, stored: StoredKey) -> None:
        with self._lock:
            keys = dict(self._load())
            keys[stored.key_id] = stored
            rows = [{**k.__dict__, "role": k.role.value} for k in keys.values()]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(self.path)

    def get(self, key_id: str) -> StoredKey | None:
        with self._lock:
            return self._load().get(key_id)

    def all(self) -> list[StoredKey]:
        with self._lock:
            return list(self._load().values())


class KeyVerifier:
    """Checks presented keys against a ``KeyStore``."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self._verified: dict[str, Principal] = {}

    def verify(self, plain: str) -> Principal | None:
        parts = split_key(plain)
        if parts is None:
            return None
        key_id, secret = parts
        stored = self.store.get(key_id)
        fingerprint = hashlib.sha256(plain.encode()).hexdigest()
        if stored is None or stored.revoked:
            self._verified.pop(fingerprint, None)
            # the same work as a wrong secret for a known id: one pre-check, no scrypt
            hmac.compare_digest(check_value(secret, _DUMMY_SALT), _DUMMY_CHECK)
            return None
        known = self._verified.get(fingerprint)
        if known is not None and known.role == stored.role:
            return known
        salt = bytes.fromhex(stored.salt_hex)
        check = check_value(secret, salt)
        if stored.check_hex is not None and not hmac.compare_digest(check, stored.check_hex):
            return None
        candidate = hash_secret(secret, salt)
        if not hmac.compare_digest(candidate, stored.hash_hex):
            return None
        if stored.check_hex is None:  # a key from before the pre-check: store it now that the secret is known
            self.store.add(replace(stored, check_hex=check))
        principal = Principal(key_id=stored.key_id, role=stored.role, name=stored.name)
        self._verified[fingerprint] = principal
        return principal


def create_key(store: KeyStore, role: Role, name: str) -> str:
    """Store a new key for ``role`` and return the plain key (shown once, never stored)."""
    plain, stored = new_key(role, name)
    store.add(stored)
    return plain
