"""Loopback HTTP servers of the local system: the API, the static site and the console. A stop refuses new requests
(503) and waits, bounded, for those taken; one still running then is refused when it ends (docs/local.md).
TCP_NODELAY: a reply is written in two parts, and Nagle would hold the second for a delayed ACK (40 ms).
"""

from __future__ import annotations

import logging
import mimetypes
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from functions.common.security_headers import security_headers
from infra.config import REPO_ROOT
from tools.local.apigateway.gateway import HttpReply
from tools.local.emulator import LOOPBACK, PORT_HINT, PortInUseError

log = logging.getLogger("tools.local")
Route = Callable[[str, str, str, Mapping[str, str], bytes], HttpReply]
_STOPPING: HttpReply = HttpReply(503, {"content-type": "text/plain", "connection": "close"}, b"stopping")
DRAIN_TIMEOUT_SECONDS: Final = 3.0  # how long a stop waits for requests in flight before refusing them
_SERVE_POLL_SECONDS: Final = 0.1  # how often serve_forever looks for a shutdown request
CLOSED_CONNECTION_ERRORS: Final = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
"""What writing to a client that went away raises (a browser closing its tab): one line, never a traceback."""


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True  # a connection idle in keep-alive must not keep the process alive

    def __init__(self, port: int, route: Route, name: str) -> None:
        super().__init__((LOOPBACK, port), _handler_for(route))
        self.name = name
        self._in_flight = 0  # taken and not yet answered
        self._accepting = True
        self._sealed = False  # a stop's wait is over: a request still running is refused when it ends
        self._idle = threading.Condition()

    def start(self) -> LocalServer:
        thread = threading.Thread(target=self.serve_forever, args=(_SERVE_POLL_SECONDS,), name=self.name, daemon=True)
        thread.start()
        return self

    def begin_request(self) -> bool:
        with self._idle:
            if not self._accepting:
                return False
            self._in_flight += 1
            return True

    def may_answer(self) -> bool:
        """Whether a request that ran may send its answer: not once the stop has stopped waiting for it."""
        with self._idle:
            if self._sealed:
                self._in_flight -= 1
                self._idle.notify_all()
                return False
            return True

    def end_request(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def refuse_new_requests(self) -> None:
        """A stop's first step, on its own so that several servers stop taking requests at once."""
        with self._idle:
            self._accepting = False

    def stop_accepting(self, drain_timeout_seconds: float = DRAIN_TIMEOUT_SECONDS) -> bool:
        """Refuses new requests and waits until those in flight were answered; False if some were still running
        after the timeout (they are refused when they end)."""
        self.refuse_new_requests()
        deadline = time.monotonic() + drain_timeout_seconds
        self.shutdown()
        self.server_close()
        with self._idle:
            while self._in_flight and (remaining := deadline - time.monotonic()) > 0:
                self._idle.wait(remaining)
            self._sealed = True
            return self._in_flight == 0

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, CLOSED_CONNECTION_ERRORS):
            log.warning("%s: a client closed its connection before the answer (%s)", self.name, type(error).__name__)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_for(route: Route) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server: LocalServer

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if not self.server.begin_request():
                self.close_connection = True
                self._send(_STOPPING)
                return
            try:
                reply = route(self.command, parts.path, parts.query, dict(self.headers.items()), body)
            except BaseException:
                self.server.end_request()
                raise
            if not self.server.may_answer():
                self.close_connection = True
                self._send(_STOPPING)
                return
            try:
                self._send(reply)
            finally:
                self.server.end_request()

        def _send(self, reply: HttpReply) -> None:
            self.send_response(reply.status)
            for header, value in reply.headers.items():
                self.send_header(header, value)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            return  # the local system prints its own summary, not one line per request

    return Handler


def serve(port: int, route: Route, name: str) -> LocalServer:
    """Starts a threaded server on 127.0.0.1:port (0 picks a free one) answering with `route`."""
    try:
        server = LocalServer(port, route, name)
    except OSError as error:
        raise PortInUseError(f"cannot serve the {name} on {LOOPBACK}:{port}: {error}. {PORT_HINT}") from error
    return server.start()


def static_site(root: Path, headers: Mapping[str, str]) -> Route:
    """Serves the built site with the security headers the hosting sends."""
    resolved_root = root.resolve()

    def route(method: str, path: str, query: str, request_headers: Mapping[str, str], body: bytes) -> HttpReply:
        if method not in ("GET", "HEAD"):
            return HttpReply(405, {"allow": "GET, HEAD"}, b"")
        target = (resolved_root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(resolved_root) or not target.is_file():
            return HttpReply(404, {"content-type": "text/plain"} | dict(headers), b"not found")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return HttpReply(
            200, {"content-type": content_type, "cache-control": "no-cache"} | dict(headers), target.read_bytes()
        )

    return route


def built_site(dist: Path, api_url: str, *, show_visit_badge: bool) -> Route:
    """The site built into `dist` for the local API (frontend/build.py), with the résumé's PDF when Chromium can
    print it, served with its security headers."""
    from frontend.build import build_site
    from frontend.pdf import PdfUnavailableError

    resume = REPO_ROOT / "frontend" / "resume.json"
    try:
        build_site(resume, dist, api_base_url=api_url, show_visit_badge=show_visit_badge, resume_pdf=True)
    except PdfUnavailableError as exc:
        # The local system still starts: the page is served without the download link, and says why once.
        log.warning("site: served without the résumé PDF and its download link: %s", exc)
        build_site(resume, dist, api_base_url=api_url, show_visit_badge=show_visit_badge)
    return static_site(dist, security_headers(api_url))
