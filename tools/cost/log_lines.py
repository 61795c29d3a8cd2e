"""The log lines of a request that the handler does not write itself, rendered with representative values: the API
stage's access-log line (from the format in the template) and the Lambda platform's own lines for an invocation.

NOTE: API Gateway fills each `$context.*` variable of the format and writes `-` for one without a value.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Final

_VARIABLE = re.compile(r"\$context\.[A-Za-z0-9_.]+")
REPRESENTATIVE_CONTEXT: Final[Mapping[str, str]] = {
    "$context.requestId": "K3mXpQ0ZoAMEbXw=",
    "$context.routeKey": "POST /visits",
    "$context.status": "200",
    "$context.responseLatency": "24",
    "$context.integrationLatency": "21",
}
"""Typical values of a counted POST for the variables the stage's format uses (infra/api.py: nothing that identifies
a visitor); a variable not listed (an error message, on success) renders as `-`: add one here when the format does."""


def access_log_line(log_format: str) -> str:
    """One access-log line as the stage writes it for a counted POST."""
    return _VARIABLE.sub(lambda match: REPRESENTATIVE_CONTEXT.get(match.group(0), "-"), log_format) + "\n"


def lambda_platform_lines(*, memory_mb: int, tracing_active: bool) -> str:
    """The platform.start and platform.report records Lambda writes per invocation with the JSON log format.

    NOTE: the shape of the platform events (values representative, not measured); with active tracing the report
    also carries the trace context. https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html and
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html"""
    request_id = "6d1c5f0e-3b1a-4f4e-9d2a-8f0b7c6e5d4a"
    start = {
        "time": "2026-12-01T17:12:11.123Z",
        "type": "platform.start",
        "record": {"requestId": request_id, "version": "$LATEST"},
    }
    record: dict[str, object] = {
        "requestId": request_id,
        "metrics": {"durationMs": 24.52, "billedDurationMs": 25, "memorySizeMB": memory_mb, "maxMemoryUsedMB": 78},
        "status": "success",
    }
    if tracing_active:
        record["tracing"] = {
            "spanId": "5a6f1e2b3c4d5e6f",
            "type": "X-Amzn-Trace-Id",
            "value": "Root=1-674c9a2b-0a1b2c3d4e5f6a7b8c9d0e1f;Parent=5a6f1e2b3c4d5e6f;Sampled=1",
        }
    report = {"time": "2026-12-01T17:12:11.152Z", "type": "platform.report", "record": record}
    return "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in (start, report))
