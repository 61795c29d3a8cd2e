"""API Gateway's v2 management API for the local HTTP API's one stage: GetStage and UpdateStage, which moto 5 lacks,
in the REST-JSON shape botocore speaks; an update sets the gateway's throttle, so the notifier's real UpdateStage
(through `AWS_ENDPOINT_URL_APIGATEWAYV2`) is what throttles the local API (docs/local.md).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import unquote

from stack_model.stack import StackModel
from tools.local.apigateway.gateway import HttpReply, TokenBucket
from tools.local.emulator import LOOPBACK
from tools.local.servers import LocalServer, serve

ENDPOINT_VARIABLE: Final = "AWS_ENDPOINT_URL_APIGATEWAYV2"
_STAGE_PATH: Final = re.compile(r"^/v2/apis/(?P<api>[^/]+)/stages/(?P<stage>[^/?]+)$")

Limits = tuple[float, int]
"""(rate per second, burst requests)."""


class StageControl:
    """Serves the stage `stage_name` of the API `api_id`; `read` and `write` are the gateway's throttle."""

    def __init__(
        self, api_id: str, stage_name: str, *, read: Callable[[], Limits], write: Callable[[float, int], None]
    ) -> None:
        self.api_id = api_id
        self.stage_name = stage_name
        self._read = read
        self._write = write
        self.updates: list[Limits] = []  # every throttle an UpdateStage set, in order, and when
        self.updated_at: list[float] = []
        self._server: LocalServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "the stage control is not started"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> StageControl:
        self._server = serve(0, self.route, "stage control")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_accepting(drain_timeout_seconds=0.0)

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        match = _STAGE_PATH.match(path)
        if match is None or method not in ("GET", "PATCH"):
            return _reply(404, {"message": f"no such operation: {method} {path}"}, "NotFoundException")
        if unquote(match["api"]) != self.api_id or unquote(match["stage"]) != self.stage_name:
            message = f"Invalid stage identifier specified: {unquote(match['stage'])}"
            return _reply(404, {"message": message}, "NotFoundException")
        rate, burst = self._read()
        if method == "PATCH":
            settings = json.loads(body or b"{}").get("defaultRouteSettings") or {}
            rate = float(settings.get("throttlingRateLimit", rate))
            burst = int(settings.get("throttlingBurstLimit", burst))
            self._write(rate, burst)
            self.updates.append((rate, burst))
            self.updated_at.append(time.time())
        route_settings = {"detailedMetricsEnabled": False, "throttlingRateLimit": rate, "throttlingBurstLimit": burst}
        return _reply(200, {"stageName": self.stage_name, "autoDeploy": True, "defaultRouteSettings": route_settings})


def _reply(status: int, document: dict[str, Any], error_type: str | None = None) -> HttpReply:
    headers = {"content-type": "application/json"} | ({"x-amzn-ErrorType": error_type} if error_type else {})
    return HttpReply(status, headers, json.dumps(document).encode())


def stage_control_for(model: StackModel) -> tuple[StageControl, TokenBucket]:
    """The template's one stage, served (started) over the throttle the local gateway is then built with."""
    (stage,) = model.stages
    assert model.api is not None, "the template has no HTTP API"
    rate, burst = stage.throttle_rate_per_second, stage.throttle_burst_requests
    if rate is None or burst is None:
        raise RuntimeError(f"the stage {stage.logical_id} sets no default throttle")
    throttle = TokenBucket(rate, burst)
    control = StageControl(model.api.logical_id, stage.name, read=throttle.limits, write=throttle.set_limits)
    return control.start(), throttle
