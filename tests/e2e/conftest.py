"""What the browser tests share: the app served on a free port, and a headless Chromium page on it that
records every page error and console error (a Content-Security-Policy violation is one) and fails the
test on any. Browser tests (marked ``browser``) are skipped where Debian's chromium is not installed.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi import FastAPI

from sekisho.settings import Settings
from targeting.alerts import MemorySubscriptions
from targeting.api import create_app
from targeting.api.ingest import MemoryRawSink
from targeting.api.keys import MemoryKeyStore, create_key
from targeting.api.roles import Role
from targeting.api.store import Store

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
Served = tuple[str, str, FastAPI]  # base URL, an API key, the app (its state holds the store)
ServeApp = Callable[..., Served]
OpenPage = Callable[..., AbstractContextManager["Page"]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def serve_app() -> Iterator[ServeApp]:
    """``serve_app(store, settings, role=Role.ADMIN, name="Officer Sato")``: the API over ``store`` served on
    127.0.0.1 until the test ends, with a key of ``role``."""
    running: list[AbstractContextManager[str]] = []

    def start(store: Store, settings: Settings, role: Role = Role.ADMIN, name: str = "Officer Sato") -> Served:
        keys = MemoryKeyStore()
        app = create_app(store, keys, MemoryRawSink(), MemorySubscriptions(), settings)
        key = create_key(keys, role, name)
        server = served(app)
        base = server.__enter__()
        running.append(server)
        return base, key, app

    yield start
    for server in reversed(running):
        server.__exit__(None, None, None)


@pytest.fixture
def open_page() -> OpenPage:
    """``with open_page(base, key) as page:`` a headless Chromium page on the analyst page, logged in with
    ``key`` (``key=None``: at the login form). Page and console errors fail the test when the block ends;
    ``allowed_console`` names console messages that are expected (a rejected key's 401)."""

    @contextmanager
    def opened(base: str, key: str | None = None, allowed_console: tuple[str, ...] = ()) -> Iterator[Page]:
        from playwright.sync_api import expect, sync_playwright

        errors: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)  # type: ignore[arg-type]
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not any(
                    allowed in msg.text for allowed in allowed_console) else None)
                page.goto(base + "/")
                if key is not None:
                    page.fill("#api-key", key)
                    page.click("#login-form button")
                    expect(page.get_by_test_id("whoami")).not_to_be_empty()
                yield page
            finally:
                browser.close()
        assert errors == [], f"errors in the browser console: {errors}"

    return opened


def png_is_not_blank(path: Path) -> bool:
    """A PNG whose first rows are not all one colour (decoded with zlib; no imaging library needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    return width > 100 and height > 100 and len(set(raw[: 200 * width])) > 8


# Drawn entities; a list entry is drawn apart from the record that matched it (named with its list).
ENTITY_NODES = ".node:not(.hub-group):not([data-kind='watchlist_entry'])"


def repeated_labels(nodes: Locator) -> dict[str, int]:
    """The labels (``data-label``) that more than one of the drawn ``nodes`` carries: an entity drawn twice."""
    labels = Counter(nodes.evaluate_all("els => els.map(e => e.getAttribute('data-label'))"))
    return {label: n for label, n in labels.items() if n > 1}
