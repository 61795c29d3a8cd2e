"""API Gateway's v2 management API for the local HTTP API's one stage: GetStage and UpdateStage.

moto 5 serves apigatewayv2's CreateStage/GetStage but not UpdateStage (its url map routes the stage path to a
handler without an update), so the notifier's throttle guard could not change a stage there. This loopback
server answers those two calls for the stage the local gateway serves, in the REST-JSON shape botocore speaks
(`PATCH /v2/apis/{apiId}/stages/{stageName}`, camelCase members, errors named by `x-amzn-ErrorType`), and an
update changes the gateway's token bucket: the notifier's real UpdateStage call is what throttles the local API.
The notifier reaches it through `AWS_ENDPOINT_URL_APIGATEWAYV2` (botocore's service-specific endpoint setting);
everything else it calls still goes to the emulator.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import unquote

from stack_model.stack import StackModel
from tools.local.apigateway.gateway import TokenBucket
from tools.local.emulator import LOOPBACK

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
        self.updates: list[Limits] = []
        """Every throttle an UpdateStage set, in order (the drill's and the tests' record)."""
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.control = self

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> StageControl:
        threading.Thread(target=self._server.serve_forever, args=(0.1,), name="stage control", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any], str | None]:
        """(status, JSON document, error type) for one request."""
        match = _STAGE_PATH.match(path)
        if match is None or method not in ("GET", "PATCH"):
            return 404, {"message": f"no such operation: {method} {path}"}, "NotFoundException"
        if unquote(match["api"]) != self.api_id or unquote(match["stage"]) != self.stage_name:
            return (
                404,
                {"message": f"Invalid stage identifier specified: {unquote(match['stage'])}"},
                "NotFoundException",
            )
        if method == "PATCH":
            settings = json.loads(body or b"{}").get("defaultRouteSettings") or {}
            rate, burst = self._read()
            rate = float(settings.get("throttlingRateLimit", rate))
            burst = int(settings.get("throttlingBurstLimit", burst))
            self._write(rate, burst)
            self.updates.append((rate, burst))
        return 200, self._stage(), None

    def _stage(self) -> dict[str, Any]:
        rate, burst = self._read()
        return {
            "stageName": self.stage_name,
            "autoDeploy": True,
            "defaultRouteSettings": {
                "detailedMetricsEnabled": False,
                "throttlingRateLimit": rate,
                "throttlingBurstLimit": burst,
            },
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    control: StageControl


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # no 40 ms stall between headers and body (tools/local/servers.py)
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        status, document, error_type = self.server.control.answer(method, self.path, self.rfile.read(length))
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def stage_control_for(model: StackModel) -> tuple[StageControl, TokenBucket]:
    """The template's one stage, served (started) over the throttle the local gateway is then built with."""
    api_id, stage_name, throttle = TokenBucket.of_stage(model)
    return StageControl(api_id, stage_name, read=throttle.limits, write=throttle.set_limits).start(), throttle
