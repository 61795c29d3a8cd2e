"""The HTTP API (API Gateway v2): its CORS rules, its stage (throttle, access log) and what it integrates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stack_model.template import LocalTemplate, referenced


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    max_age_seconds: int


@dataclass(frozen=True)
class Stage:
    logical_id: str
    name: str
    throttle_rate_per_second: float | None
    throttle_burst_requests: int | None
    access_log_format: str | None
    access_log_group: str | None
    """The logical id of the log group its access logs go to."""


@dataclass(frozen=True)
class HttpApi:
    logical_id: str
    cors: Cors | None
    integrated_functions: tuple[str | None, ...]
    """What each of its integrations invokes (None: not a function of the stack), in template order."""


def read_api(template: LocalTemplate) -> HttpApi | None:
    """The template's one HTTP API, if any."""
    apis = list(template.of_type("AWS::ApiGatewayV2::Api"))
    if not apis:
        return None
    (api_id,) = apis
    integrations = {
        lid: referenced(props.get("IntegrationUri")) for lid, props in template.each("AWS::ApiGatewayV2::Integration")
    }
    cors = template.properties(api_id).get("CorsConfiguration")
    return HttpApi(api_id, None if cors is None else _cors(template, cors), tuple(integrations.values()))


def _cors(template: LocalTemplate, cors: Mapping[str, Any]) -> Cors:
    return Cors(
        allow_origins=tuple(template.resolve(origin) for origin in cors.get("AllowOrigins", [])),
        allow_methods=tuple(cors.get("AllowMethods", [])),
        allow_headers=tuple(cors.get("AllowHeaders", [])),
        max_age_seconds=int(cors.get("MaxAge", 0)),
    )


def read_stages(template: LocalTemplate) -> tuple[Stage, ...]:
    return tuple(_stage(logical_id, props) for logical_id, props in template.each("AWS::ApiGatewayV2::Stage"))


def _stage(logical_id: str, props: Mapping[str, Any]) -> Stage:
    throttle = props.get("DefaultRouteSettings", {})
    access_log = props.get("AccessLogSettings", {})
    rate, burst = throttle.get("ThrottlingRateLimit"), throttle.get("ThrottlingBurstLimit")
    return Stage(
        logical_id=logical_id,
        name=str(props.get("StageName", "$default")),
        throttle_rate_per_second=None if rate is None else float(rate),
        throttle_burst_requests=None if burst is None else int(burst),
        access_log_format=access_log.get("Format"),
        access_log_group=referenced(access_log.get("DestinationArn")),
    )
