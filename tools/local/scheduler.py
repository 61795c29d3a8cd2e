"""EventBridge Scheduler locally: each `AWS::Scheduler::Schedule` of the template that invokes a function at a
`rate(...)` runs as a background loop calling that function through the one runtime, its interval scaled like
the alarm periods (`--period-scale`), so a probe runs once per (scaled) alarm period as deployed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.template import LocalTemplate, referenced
from tools.local.cloudwatch.logs import LogShipper, emulator_logs_client
from tools.local.lambda_runtime.runtime import LambdaRuntime
from tools.local.loops import BackgroundLoop

_RATE: Final = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86_400}


@dataclass(frozen=True)
class LocalSchedule:
    logical_id: str
    function_id: str
    """The logical id of the Lambda function it invokes."""
    interval_seconds: int


def schedules_from_template(template: Mapping[str, Any]) -> list[LocalSchedule]:
    """Every enabled rate schedule whose target is a function of the template (cron ones are not run locally)."""
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Scheduler::Schedule":
            continue
        props = resource["Properties"]
        match = _RATE.match(props.get("ScheduleExpression", ""))
        function_id = referenced(props["Target"]["Arn"])
        if props.get("State", "ENABLED") != "ENABLED" or match is None or function_id is None:
            continue
        seconds = int(match["value"]) * _UNIT_SECONDS[match["unit"].rstrip("s")]
        found.append(LocalSchedule(logical_id, function_id, seconds))
    return found


def scheduled_event(schedule: LocalSchedule) -> dict[str, Any]:
    """What a LambdaInvoke target without an input passes: an empty JSON object."""
    return {}


def schedule_loop(
    schedule: LocalSchedule, runtime: LambdaRuntime, template: LocalTemplate, emulator_endpoint: str, scale: float
) -> BackgroundLoop:
    """Invokes the function, then copies its log lines to its log group on the emulator (log_shipping.py)."""
    interval = max(0.5, schedule.interval_seconds * scale)
    function = runtime.function(schedule.function_id)
    log_group = template.resolve(template.properties(schedule.function_id)["LoggingConfig"]["LogGroup"])
    shipper = LogShipper(emulator_logs_client(emulator_endpoint), log_group, function.log_path)

    def run() -> None:
        function.invoke({})
        shipper.ship()

    return BackgroundLoop(f"schedule {schedule.logical_id}", interval, run)
