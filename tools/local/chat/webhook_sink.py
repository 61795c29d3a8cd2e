"""A real HTTP server on 127.0.0.1 standing in for Slack and the owner's webhook: it records every request as it
arrived (with its arrival time) and answers from a script (status, body, delay), so `make dev`'s outbox shows and
tests read back exactly what a channel sent. Port 0 (the default) takes a free port."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.local.apigateway.gateway import HttpReply
from tools.local.emulator import LOOPBACK
from tools.local.servers import LocalServer, serve


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
        self._port = port
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: LocalServer | None = None

    def url(self, path: str) -> str:
        assert self._server is not None, "the sink is not started"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}{path}"

    def answer_next(self, *replies: Reply) -> None:
        """The next requests get these replies, in order; any after them get 200 `ok`."""
        with self._lock:
            self._script.extend(replies)

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.received if request.path == path]

    def start(self) -> WebhookSink:
        self._server = serve(self._port, self._answer, "webhook sink")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_accepting(drain_timeout_seconds=0.0)  # a reply still sleeping does not hold it up

    def _answer(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        with self._lock:
            self.received.append(Received(method, path + (f"?{query}" if query else ""), dict(headers), body))
            reply = self._script.popleft() if self._script else Reply()
        time.sleep(reply.delay_seconds)
        return HttpReply(reply.status, {"Content-Type": "text/plain", **reply.headers}, reply.body.encode())
