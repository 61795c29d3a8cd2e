"""A real HTTP server on 127.0.0.1 standing in for Slack and the owner's webhook: it records every request as it
arrived (with its arrival time) and answers from a script (status, body, delay), so `make dev`'s outbox shows and
tests read back exactly what a channel sent. Port 0 (the default) takes a free port."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class WebhookSink:
    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.sink = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def answer_next(self, *replies: Reply) -> None:
        """The next requests get these replies, in order; any after them get 200 `ok`."""
        with self._lock:
            self._script.extend(replies)

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.received if request.path == path]

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            return self._script.popleft() if self._script else Reply()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a reply still sleeping past the client's timeout does not hold up stop()
    sink: WebhookSink


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # no 40 ms stall between headers and body (tools/local/servers.py)
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Received("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
        reply = self.server.sink._record(request)
        time.sleep(reply.delay_seconds)
        body = reply.body.encode()
        try:
            self.send_response(reply.status)
            for name, value in {"Content-Type": "text/plain", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass
