"""The local HTTP API: what API Gateway does in front of the counter, built from the template's HTTP API and stage.
Per request: the stage's throttle, CORS as HTTP APIs apply it, a payload v2 event to the function through the local
runtime, and the AWS/ApiGateway metrics.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from stack_model.api import Cors
from stack_model.stack import StackModel
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.lambda_runtime.events import http_api_event

if TYPE_CHECKING:
    from tools.local.lambda_runtime.runtime import LambdaRuntime, LocalFunction


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


class TokenBucket:
    """API Gateway's throttle: `rate` requests/s refill, at most `burst` at once; `set_limits` is UpdateStage's."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def limits(self) -> tuple[float, int]:
        with self._lock:
            return self.rate, self.burst

    def set_limits(self, rate: float, burst: int) -> None:
        with self._lock:
            self.rate, self.burst = rate, burst
            self._tokens = min(self._tokens, float(burst))

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class LocalHttpApi:
    def __init__(
        self, *, api_id: str, function: LocalFunction, cors: Cors, throttle: TokenBucket, metrics: MetricStore
    ) -> None:
        self.api_id = api_id
        self.function = function
        self._cors = cors
        self.throttle = throttle
        self._metrics = metrics

    @classmethod
    def from_template(
        cls,
        model: StackModel,
        runtime: LambdaRuntime,
        metrics: MetricStore,
        *,
        allow_origins: Sequence[str],
        throttle: TokenBucket,
    ) -> LocalHttpApi:
        """The template's one HTTP API; `allow_origins` (the local site's) replace the deployed ones. NOTE: it does
        not route: every path goes to the one function the routes integrate (docs/local.md says how AWS differs)."""
        api = model.api
        if api is None or api.cors is None:
            raise RuntimeError("the template has no HTTP API with CORS")
        (function_id,) = set(api.integrated_functions)
        assert function_id is not None, "the local gateway serves a Lambda integration only"
        return cls(
            api_id=api.logical_id,
            function=runtime.function(function_id),
            cors=replace(api.cors, allow_origins=tuple(allow_origins)),
            throttle=throttle,
            metrics=metrics,
        )

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        started = time.perf_counter()
        lowered = {k.lower(): v for k, v in headers.items()}
        origin = lowered.get("origin")
        if method == "OPTIONS" and origin and "access-control-request-method" in lowered:
            return self._preflight(origin, lowered["access-control-request-method"])
        if not self.throttle.take():
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
        invocation = self.function.invoke(event)
        if invocation.failed:  # a Lambda error: API Gateway answers its own 500
            return _json_reply(500, {"message": "Internal Server Error"})
        return _reply_from_lambda(invocation.response)

    def _record_api_metrics(self, status: int, latency_ms: float) -> None:
        # HTTP APIs publish per ApiId (per-stage metrics need detailed metrics, which the stack does not enable).
        dimensions = {"ApiId": self.api_id}
        record = self._metrics.record
        record("AWS/ApiGateway", "Count", dimensions, 1)
        record("AWS/ApiGateway", "4xx", dimensions, 1 if 400 <= status < 500 else 0)
        record("AWS/ApiGateway", "5xx", dimensions, 1 if status >= 500 else 0)
        record("AWS/ApiGateway", "Latency", dimensions, latency_ms, "Milliseconds")


def _json_reply(status: int, body: dict[str, Any]) -> HttpReply:
    return HttpReply(status, {"content-type": "application/json"}, json.dumps(body).encode())


def _reply_from_lambda(response: dict[str, Any]) -> HttpReply:
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    return HttpReply(int(response.get("statusCode", 200)), headers, body)
