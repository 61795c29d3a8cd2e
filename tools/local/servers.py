"""Loopback HTTP servers of the local system: the API, the static site and the console (outbox, alarms).

Stopping one is two steps, so that a request answered is a request whose effects are kept: `stop_accepting()`
refuses new requests (503, connection closed) — including the next request on a kept-alive connection — then
waits until every request already taken has been answered; the caller saves state after that.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from functions.common.security_headers import security_headers
from infra.config import REPO_ROOT
from tools.local.apigateway.gateway import HttpReply
from tools.local.emulator import LOOPBACK, PortInUseError

Route = Callable[[str, str, str, Mapping[str, str], bytes], HttpReply]
_STOPPING: HttpReply = HttpReply(503, {"content-type": "text/plain", "connection": "close"}, b"stopping")


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True  # a connection idle in keep-alive must not keep the process alive

    def __init__(self, port: int, route: Route, name: str) -> None:
        super().__init__((LOOPBACK, port), _handler_for(route))
        self.name = name
        self._in_flight = 0
        self._accepting = True
        self._idle = threading.Condition()

    def start(self) -> LocalServer:
        threading.Thread(target=self.serve_forever, name=self.name, daemon=True).start()
        return self

    def begin_request(self) -> bool:
        with self._idle:
            if not self._accepting:
                return False
            self._in_flight += 1
            return True

    def end_request(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def stop_accepting(self, drain_timeout_seconds: float = 15.0) -> bool:
        """Refuses new requests, closes the listening socket, and waits until those in flight were answered;
        False if some were still running after the timeout."""
        with self._idle:
            self._accepting = False
        self.shutdown()
        self.server_close()
        deadline = time.monotonic() + drain_timeout_seconds
        with self._idle:
            while self._in_flight and (remaining := deadline - time.monotonic()) > 0:
                self._idle.wait(remaining)
            return self._in_flight == 0


def _handler_for(route: Route) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
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
                self._send(route(self.command, parts.path, parts.query, dict(self.headers.items()), body))
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
        raise PortInUseError(
            f"cannot serve the {name} on {LOOPBACK}:{port}: {error}. Choose other ports with --port-base."
        ) from error
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


def built_site(dist: Path, api_url: str) -> Route:
    """The site built into `dist` for the local API (frontend/build.py), served with its security headers."""
    from frontend.build import build_site

    build_site(REPO_ROOT / "frontend" / "resume.json", dist, api_base_url=api_url)
    return static_site(dist, security_headers(api_url))
