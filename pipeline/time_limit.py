"""A per-message time limit for parsing: a message that takes too long becomes a dead letter, the stream goes on.

A Python thread cannot be stopped, so large messages (from ``isolate_from_bytes``) are parsed in one
long-lived child process; when the answer is not back within ``limit_s`` seconds, the child is killed
(and started again for the next message) and the message becomes a ``parse.timeout`` rejection with
its size and the limit. Small messages parse inline: they cannot take long with linear parsers, and
sending every message through a pipe would cost more than parsing it.

The child is started with ``spawn`` (a Flink Python worker has threads; ``fork`` could copy a held lock).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from feeds import MessageContext, parse_message
from feeds.base import rejection
from schemas.records import Record

log = logging.getLogger(__name__)
_START_TIMEOUT_S = 120.0  # the child imports the parsers once before it answers


def _serve(connection: Connection) -> None:
    connection.send("ready")
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        payload, ctx, fmt, max_bytes = request
        connection.send(parse_message(payload, ctx, fmt=fmt, max_bytes=max_bytes))


class ParseTimeLimit:
    """``parse_message`` with a time limit for messages of ``isolate_from_bytes`` bytes or more."""

    def __init__(self, limit_s: float, isolate_from_bytes: int) -> None:
        self.limit_s = limit_s
        self.isolate_from_bytes = isolate_from_bytes
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self.timeouts = 0

    def _start(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.is_alive():
            return self._connection
        self.close()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name="sekisho-parse", daemon=True)
        process.start()
        child.close()
        if not parent.poll(_START_TIMEOUT_S):
            process.kill()
            raise RuntimeError("the parsing process did not start")
        parent.recv()
        self._process, self._connection = process, parent
        return parent

    def parse(self, payload: bytes, ctx: MessageContext, fmt: str = "auto", max_bytes: int | None = None
              ) -> list[Record]:
        if self.limit_s <= 0 or len(payload) < self.isolate_from_bytes:
            return parse_message(payload, ctx, fmt=fmt, max_bytes=max_bytes)
        connection = self._start()
        started = time.monotonic()
        connection.send((payload, ctx, fmt, max_bytes))
        if connection.poll(self.limit_s):
            try:
                answer: Any = connection.recv()
            except EOFError:  # the child died (out of memory, a crash in C code)
                self.close()
                return [rejection(payload, ctx, reason="parser.crashed", stage="parse",
                                  detail="the parsing process died on this message")]
            records: list[Record] = answer
            return records
        self.timeouts += 1
        self.close()  # kills the child; the next large message starts a fresh one
        elapsed = time.monotonic() - started
        log.warning("message of %d bytes from %s not parsed within %.1f s: dead letter", len(payload),
                    ctx.source, self.limit_s)
        return [rejection(payload, ctx, reason="parse.timeout", stage="parse",
                          detail=f"not parsed within the limit of {self.limit_s:g} s "
                                 f"({len(payload)} bytes, stopped after {elapsed:.1f} s)")]

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        if self._connection is not None:
            self._connection.close()
        self._process, self._connection = None, None
