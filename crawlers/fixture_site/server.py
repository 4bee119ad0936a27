"""The fixture site's HTTP server (``http.server``, bound to 127.0.0.1): static pages with validators,
plus the dynamic edge cases the crawler tests need.

``ETag``/``Last-Modified`` are sent on every page and ``If-None-Match``/``If-Modified-Since`` answered
with ``304``. Edge cases: redirects and a redirect loop, 404, 500, a slow and a hanging page, a huge page
(streamed), a redirect to a private address. Run standalone with
``python -m crawlers.fixture_site.server --port 8651 [--big 5000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.fixture_site.site import BASE_PLACEHOLDER, FixtureSite, Page, build_site
from sekisho.settings import BUNDLED_DATA, get_settings

REDIRECTS = {
    "/edge/redirect.html": "/edge/target.html",
    "/edge/loop-a.html": "/edge/loop-b.html",
    "/edge/loop-b.html": "/edge/loop-a.html",
    "/edge/redirect-private.html": "http://10.0.0.5/edge/admin.html",
}


class FixtureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SekishoFixture/1.0"
    site: ClassVar[FixtureSite]
    options: ClassVar[dict[str, float]] = {}
    hits: ClassVar[dict[str, int]] = {}
    hits_lock: ClassVar[threading.Lock] = threading.Lock()

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: tests and benchmarks read counters, not logs

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.hits_lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        # The crawler may give up mid-response (size cap, timeout): expected in the edge cases.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(path)

    def _route(self, path: str) -> None:
        if path in REDIRECTS:
            code = 302 if path == "/edge/redirect-private.html" else 301
            self._send(code, b"", headers={"Location": REDIRECTS[path]})
        elif path == "/edge/error.html":
            self._send(500, b"<h1>Internal error</h1>")
        elif path == "/edge/slow.html":
            time.sleep(self.options.get("slow_s", 1.0))
            self._page(
                Page(
                    b"<html><head><title>Slow page</title></head><body><article><h1>Slow page</h1>"
                    b"<p>This page takes a while but arrives within the timeout.</p>"
                    b"<p>Patience is a virtue of crawlers.</p></article></body></html>"
                )
            )
        elif path == "/edge/hang.html":
            time.sleep(self.options.get("hang_s", 5.0))
            self._send(200, b"<html><body>too late</body></html>")
        elif path == "/edge/huge.html":
            self._huge(int(self.options.get("huge_bytes", 8 * 1024 * 1024)))
        else:
            page = self.site.get(path)
            if page is None:
                self._send(404, b"<h1>Not found</h1>")
            else:
                self._page(page)

    def _page(self, page: Page) -> None:
        if BASE_PLACEHOLDER.encode() in page.body:
            address: Any = self.server.server_address
            host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
            page = Page(
                page.body.replace(BASE_PLACEHOLDER.encode(), f"http://{host}".encode()),
                page.content_type,
                page.last_modified,
            )
        validators = {"ETag": page.etag, "Last-Modified": page.last_modified}
        if_none_match = self.headers.get("If-None-Match")
        if_modified_since = self.headers.get("If-Modified-Since")
        if (if_none_match and if_none_match == page.etag) or (
            not if_none_match and if_modified_since and if_modified_since == page.last_modified
        ):
            self._send(304, headers=validators)
            return
        self._send(200, page.body, page.content_type, validators)

    def _huge(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        sent = 0
        while sent < size:
            piece = chunk[: size - sent]
            self.wfile.write(piece)
            sent += len(piece)


class FixtureServer:
    """Serves a ``FixtureSite`` from a background thread on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(self, site: FixtureSite, port: int = 0, **options: float) -> None:
        handler = type(
            "BoundFixtureHandler",
            (FixtureHandler,),
            {"site": site, "options": dict(options), "hits": {}, "hits_lock": threading.Lock()},
        )
        self.handler: type[FixtureHandler] = handler
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @classmethod
    def bundled(
        cls, port: int = 0, big_pages: int = 0, data_dir: Path = BUNDLED_DATA, **options: float
    ) -> FixtureServer:
        """The fixture site built from the planted scenario and watchlists under ``data_dir``."""
        site = build_site(
            data_dir / "planted" / "world.yaml",
            data_dir / "watchlists",
            big_pages=big_pages,
        )
        return cls(site, port, **options)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hits(self) -> dict[str, int]:
        return self.handler.hits

    def start(self) -> FixtureServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fixture-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Sekisho fixture site on 127.0.0.1.")
    settings = get_settings()
    default_port = int(urlsplit(settings.crawl_fixture_site_url).port or 8651)
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--big", type=int, default=0, help="also serve a generated section of this many pages")
    args = parser.parse_args(argv)
    server = FixtureServer.bundled(port=args.port, big_pages=args.big, data_dir=settings.data_dir)
    print(f"fixture site on {server.url} ({len(server.site.pages)} pages + {args.big} generated)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
