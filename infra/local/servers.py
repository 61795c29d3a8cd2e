"""Loopback HTTP servers of the local system: the API, the static site and the console (outbox, alarms)."""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from infra.local.emulator import LOOPBACK, PortInUseError
from infra.local.gateway import HttpReply

Route = Callable[[str, str, str, Mapping[str, str], bytes], HttpReply]


def serve(port: int, route: Route, name: str) -> ThreadingHTTPServer:
    """Starts a threaded server on 127.0.0.1:port (0 picks a free one) answering with `route`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = route(self.command, parts.path, parts.query, dict(self.headers.items()), body)
            self.send_response(reply.status)
            for header, value in reply.headers.items():
                self.send_header(header, value)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            return  # the local system prints its own summary, not one line per request

    try:
        server = ThreadingHTTPServer((LOOPBACK, port), Handler)
    except OSError as error:
        raise PortInUseError(
            f"cannot serve the {name} on {LOOPBACK}:{port}: {error}. Choose other ports with --port-base."
        ) from error
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


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
