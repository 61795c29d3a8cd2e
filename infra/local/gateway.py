"""The local HTTP API: what API Gateway does in front of the counter, on loopback.

Per request: stage throttling (token bucket with the deployed rate and burst), CORS as HTTP APIs apply it
(preflight answered here; the allowed origin echoed only when it matches), a real-shaped payload v2 event,
the Lambda handler invoked in-process, and the AWS/ApiGateway and AWS/Lambda metrics CloudWatch would record.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.local.lambda_events import LocalLambdaContext, http_api_event
from infra.local.metrics import MetricStore
from infra.local.stdout_capture import captured_stdout

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


class TokenBucket:
    """API Gateway's throttle: `rate` requests/s refill, at most `burst` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass(frozen=True)
class CorsRules:
    allow_origins: Sequence[str]
    allow_methods: Sequence[str]
    allow_headers: Sequence[str]
    max_age_seconds: int


class LocalHttpApi:
    def __init__(
        self,
        *,
        api_id: str,
        function_name: str,
        handler: Handler,
        cors: CorsRules,
        throttle: TokenBucket,
        metrics: MetricStore,
        memory_mb: int,
        timeout_seconds: float,
    ) -> None:
        self.api_id = api_id
        self.function_name = function_name
        self._handler = handler
        self._cors = cors
        self._throttle = throttle
        self._metrics = metrics
        self._memory_mb = memory_mb
        self._timeout_seconds = timeout_seconds
        # One container: Lambda never runs two invocations in one execution environment at once.
        self._container = threading.Lock()

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        started = time.perf_counter()
        lowered = {k.lower(): v for k, v in headers.items()}
        origin = lowered.get("origin")
        if method == "OPTIONS" and origin and "access-control-request-method" in lowered:
            return self._preflight(origin, lowered["access-control-request-method"])
        if not self._throttle.take():
            reply = _json_reply(429, {"message": "Too Many Requests"})
        else:
            reply = self._invoke(method, path, query, lowered, body)
        reply = self._with_cors(reply, origin)
        self._record_api_metrics(reply.status, (time.perf_counter() - started) * 1000)
        return reply

    def _preflight(self, origin: str, requested_method: str) -> HttpReply:
        if origin not in self._cors.allow_origins or requested_method.upper() not in self._cors.allow_methods:
            # API Gateway answers without CORS headers, so the browser refuses the request.
            return HttpReply(204, {}, b"")
        return HttpReply(
            204,
            {
                "access-control-allow-origin": origin,
                "access-control-allow-methods": ",".join(self._cors.allow_methods),
                "access-control-allow-headers": ",".join(self._cors.allow_headers),
                "access-control-max-age": str(self._cors.max_age_seconds),
                "vary": "origin",
            },
            b"",
        )

    def _with_cors(self, reply: HttpReply, origin: str | None) -> HttpReply:
        if origin and origin in self._cors.allow_origins:
            return HttpReply(
                reply.status, reply.headers | {"access-control-allow-origin": origin, "vary": "origin"}, reply.body
            )
        return reply

    def _invoke(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        event = http_api_event(method, path, body=body or None, headers=headers, query=query)
        context = LocalLambdaContext(
            function_name=self.function_name, memory_limit_in_mb=self._memory_mb, timeout_seconds=self._timeout_seconds
        )
        with self._container, captured_stdout() as printed:
            started = time.perf_counter()
            failed = False
            try:
                response = self._handler(event, context)
            except Exception:  # a Lambda error: API Gateway answers its own 500
                failed = True
                response = {}
            duration_ms = (time.perf_counter() - started) * 1000
        self._metrics.ingest_emf(printed.getvalue())
        self._record_lambda_metrics(duration_ms, failed)
        if failed:
            return _json_reply(500, {"message": "Internal Server Error"})
        return _reply_from_lambda(response)

    def _record_api_metrics(self, status: int, latency_ms: float) -> None:
        # HTTP APIs publish per ApiId (per-stage metrics need detailed metrics, which the stack does not enable).
        dimensions = {"ApiId": self.api_id}
        record = self._metrics.record
        record("AWS/ApiGateway", "Count", dimensions, 1)
        record("AWS/ApiGateway", "4xx", dimensions, 1 if 400 <= status < 500 else 0)
        record("AWS/ApiGateway", "5xx", dimensions, 1 if status >= 500 else 0)
        record("AWS/ApiGateway", "Latency", dimensions, latency_ms, "Milliseconds")

    def _record_lambda_metrics(self, duration_ms: float, failed: bool) -> None:
        dimensions = {"FunctionName": self.function_name}
        record = self._metrics.record
        record("AWS/Lambda", "Invocations", dimensions, 1)
        record("AWS/Lambda", "Errors", dimensions, 1 if failed else 0)
        record("AWS/Lambda", "Throttles", dimensions, 0)
        record("AWS/Lambda", "Duration", dimensions, duration_ms, "Milliseconds")
        record("AWS/Lambda", "ConcurrentExecutions", dimensions, 1)


def _json_reply(status: int, body: dict[str, Any]) -> HttpReply:
    return HttpReply(status, {"content-type": "application/json"}, json.dumps(body).encode())


def _reply_from_lambda(response: dict[str, Any]) -> HttpReply:
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    return HttpReply(int(response.get("statusCode", 200)), headers, body)
