"""The local webhook sink answering from a script (status, body, delay, headers): how the notifier's tests play a
slow, failing or rate-limiting Slack or webhook."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from tools.local.apigateway.gateway import HttpReply
from tools.local.chat.webhook_sink import WebhookSink


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedSink(WebhookSink):
    def __init__(self) -> None:
        super().__init__()
        self._script: deque[Reply] = deque()

    def answer_next(self, *replies: Reply) -> None:
        """The next requests get these replies, in order; any after them get 200 `ok`."""
        with self._lock:
            self._script.extend(replies)

    def reply(self) -> HttpReply:
        with self._lock:
            reply = self._script.popleft() if self._script else Reply()
        time.sleep(reply.delay_seconds)
        return HttpReply(reply.status, {"Content-Type": "text/plain", **reply.headers}, reply.body.encode())
