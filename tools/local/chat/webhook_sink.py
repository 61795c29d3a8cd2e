"""A real HTTP server on 127.0.0.1 standing in for Slack and the owner's webhook: it records every request with its
arrival time and answers 200, so the outbox and the tests show what a channel sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

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


class WebhookSink:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: LocalServer | None = None

    def url(self, path: str) -> str:
        assert self._server is not None, "the sink is not started"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.received if request.path == path]

    def start(self) -> Self:
        self._server = serve(0, self._answer, "webhook sink")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_accepting(drain_timeout_seconds=0.0)  # a reply still sleeping does not hold it up

    def _answer(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        with self._lock:
            self.received.append(Received(method, path + (f"?{query}" if query else ""), dict(headers), body))
        return self.reply()

    def reply(self) -> HttpReply:
        """What the channel answers: 200 `ok` (tests/support/scripted_sink.py scripts others)."""
        return HttpReply(200, {"Content-Type": "text/plain"}, b"ok")
