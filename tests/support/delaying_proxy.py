"""An HTTP proxy on 127.0.0.1 in front of the AWS emulator that holds back a share of DynamoDB's answers.

The request is forwarded at once, so the emulator applies it; only the answer waits, longer than the client's
read timeout. That is the failure that made the first counter double count: a write applied whose answer was lost.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

DelayRule = Callable[[str], bool]
"""Given the DynamoDB operation (X-Amz-Target's suffix, e.g. UpdateItem): hold this answer back?"""


class DelayingProxy:
    def __init__(self, upstream: str, *, delay_seconds: float, delay_when: DelayRule) -> None:
        target = urlsplit(upstream)
        self._upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self._delay_seconds = delay_seconds
        self._delay_when = delay_when
        self._lock = threading.Lock()
        self.delayed: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="delaying-proxy", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _should_delay(self, operation: str) -> bool:
        with self._lock:
            delay = self._delay_when(operation)
            if delay:
                self.delayed.append(operation)
            return delay

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                upstream.request("POST", self.path, body=body, headers=dict(self.headers.items()))
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                operation = self.headers.get("x-amz-target", "").rpartition(".")[2]
                if proxy._should_delay(operation):
                    time.sleep(proxy._delay_seconds)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                            self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client gave up waiting, as intended

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
