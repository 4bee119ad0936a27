"""Writer batch keys: a stable hash of the record id onto one key per writer subtask.

The writer keeps one batch per key, so the number of keys decides both how many subtasks receive
data and how large the batches get. One key per subtask gives the largest batches (one bulk request,
one model call per subtask and flush) and uses every subtask. Python's ``hash`` of a string changes
with ``PYTHONHASHSEED`` in every worker process, so the record id is hashed with CRC-32 instead.

Flink routes a key to a subtask by its key group: ``murmur(key.hashCode()) % max_parallelism``, then
``key_group * parallelism // max_parallelism``. PyFlink wraps a ``key_by`` key in a one-field ``Row``;
``subtask_of`` reproduces that routing (checked against Flink's own ``KeyGroupRangeAssignment`` by a
unit test), so ``subtask_keys`` can pick, for each subtask, the smallest integer key that lands on it.
After a rescale the keys of the old parallelism keep their state (key groups move with it) and are
flushed by their restored timers; new records use the keys of the new parallelism.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

DEFAULT_MAX_PARALLELISM = 128
_MASK = 0xFFFFFFFF


def _int32(value: int) -> int:
    value &= _MASK
    return value - (1 << 32) if value >= 1 << 31 else value


def _rotl(value: int, bits: int) -> int:
    value &= _MASK
    return ((value << bits) | (value >> (32 - bits))) & _MASK


def _murmur(code: int) -> int:
    """Flink's ``MathUtils.murmurHash(int)``: a non-negative int."""
    h = (code * 0xCC9E2D51) & _MASK
    h = _rotl(h, 15)
    h = (h * 0x1B873593) & _MASK
    h = _rotl(h, 13)
    h = (h * 5 + 0xE6546B64) & _MASK
    h ^= 4
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    signed = _int32(h)
    if signed >= 0:
        return signed
    return -signed if signed != -(1 << 31) else 0


def _row_hash(key: int) -> int:
    """``Row.of(Integer key).hashCode()`` as Flink computes it for a one-field insert row."""
    return _int32(62 + key)


def key_group_of(key: int, max_parallelism: int) -> int:
    return _murmur(_row_hash(key)) % max_parallelism


def subtask_of(key: int, parallelism: int, max_parallelism: int = DEFAULT_MAX_PARALLELISM) -> int:
    return key_group_of(key, max_parallelism) * parallelism // max_parallelism


def subtask_keys(parallelism: int, max_parallelism: int = DEFAULT_MAX_PARALLELISM) -> list[int]:
    """For each subtask index, the smallest non-negative int key that Flink routes to it."""
    if not 1 <= parallelism <= max_parallelism:
        raise ValueError(f"parallelism {parallelism} must be between 1 and max parallelism {max_parallelism}")
    keys: dict[int, int] = {}
    candidate = 0
    while len(keys) < parallelism:
        keys.setdefault(subtask_of(candidate, parallelism, max_parallelism), candidate)
        candidate += 1
    return [keys[index] for index in range(parallelism)]


def stable_hash(record_id: str) -> int:
    """The same number for the same id in every process (unlike ``hash``)."""
    return zlib.crc32(record_id.encode("utf-8"))


def batch_key(record_id: str, keys: Sequence[int]) -> int:
    return keys[stable_hash(record_id) % len(keys)]
