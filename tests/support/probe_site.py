"""A site and its API on 127.0.0.1 whose answers a test sets: what the probe checks, served over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from functions.common import catalog
from functions.common.security_headers import security_headers

PAGE = '<!doctype html><html><head><script src="counter.js" defer></script></head><body>resume</body></html>'


@dataclass
class ProbeSite:
    """What the site and the API answer; tests change the fields while the server runs."""

    api_origin: str = ""
    page_status: int = 200
    page_body: str = PAGE
    header_overrides: dict[str, str] = field(default_factory=dict)
    allowed_origin: str | None = None
    """The origin the API's CORS allows (None: the site's own)."""
    site_origin: str = ""
    page_delay_seconds: float = 0
    """How long the page takes to answer (a site that hangs)."""
    visits_answer: tuple[int, str] | None = None
    """(status, JSON body) GET /visits answers instead of the figures, e.g. API Gateway's throttle."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request received."""

    def page_headers(self) -> dict[str, str]:
        return {**security_headers(self.api_origin), **self.header_overrides}

    def cors_origin(self, origin: str | None) -> str | None:
        allowed = self.allowed_origin or self.site_origin
        return origin if origin == allowed else None


def _handler(site: ProbeSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, headers: dict[str, str | None], body: str) -> None:
            site.requests.append((self.command, self.path))
            data = body.encode()
            self.send_response(status)
            for name, value in headers.items():
                if value is not None:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == catalog.VISITS_PATH and site.visits_answer is not None:
                status, body = site.visits_answer
                cors = {"Access-Control-Allow-Origin": site.cors_origin(self.headers.get("Origin"))}
                self._answer(status, {"Content-Type": "application/json", **cors}, body)
                return
            if self.path == catalog.VISITS_PATH:
                figures = {"count": 7, "unique_visitors": 3, "today": {"count": 1, "unique_visitors": 1}}
                cors = {"Access-Control-Allow-Origin": site.cors_origin(self.headers.get("Origin"))}
                self._answer(200, {"Content-Type": "application/json", **cors}, json.dumps(figures))
                return
            time.sleep(site.page_delay_seconds)
            headers: dict[str, str | None] = {"Content-Type": "text/html", **site.page_headers()}
            self._answer(site.page_status, headers, site.page_body if site.page_status == 200 else "oops")

        def do_OPTIONS(self) -> None:
            allowed = site.cors_origin(self.headers.get("Origin"))
            cors = {
                "Access-Control-Allow-Origin": allowed,
                "Access-Control-Allow-Methods": "GET,POST" if allowed else None,
            }
            self._answer(204, cors, "")

        def do_POST(self) -> None:
            self._answer(405, {}, "the probe must never POST")

    return Handler


@contextmanager
def probe_site() -> Iterator[tuple[ProbeSite, str]]:
    """A running site + API on one port; yields its state and its base URL (`http://127.0.0.1:<port>`)."""
    site = ProbeSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    site.api_origin = site.site_origin = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, base
    finally:
        server.shutdown()
        server.server_close()
