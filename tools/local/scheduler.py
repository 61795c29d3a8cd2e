"""EventBridge Scheduler locally: each `AWS::Scheduler::Schedule` of the template that invokes a function at a
`rate(...)` runs as a background loop calling that function through the one runtime, its interval scaled like
the alarm periods (`--period-scale`), so a probe runs once per (scaled) alarm period as deployed."""

from __future__ import annotations

from typing import Any

from stack_model.schedules import Schedule
from stack_model.stack import StackModel
from tools.local.cloudwatch.logs import LogShipper
from tools.local.lambda_runtime.runtime import LambdaRuntime
from tools.local.loops import BackgroundLoop


def local_schedules(model: StackModel) -> list[Schedule]:
    """Every enabled rate schedule whose target is a function of the template (cron ones are not run locally)."""
    return [s for s in model.schedules if s.enabled and s.interval_seconds is not None and s.target is not None]


def schedule_loop(
    schedule: Schedule, runtime: LambdaRuntime, model: StackModel, logs: Any, scale: float
) -> BackgroundLoop:
    """Invokes the function, then copies its log lines to its log group on the emulator (logs.py) with `logs`,
    a CloudWatch Logs client of the system's own."""
    target, seconds = schedule.target, schedule.interval_seconds
    assert target is not None, "not one of local_schedules"
    assert seconds is not None, "not one of local_schedules"
    function = runtime.function(target)
    log_group = model.functions[target].log_group
    assert log_group is not None, f"{target} names no log group"
    shipper = LogShipper(logs, log_group, function.log_path)

    def run() -> None:
        function.invoke({})  # what a LambdaInvoke target without an input passes: an empty JSON object
        shipper.ship()

    return BackgroundLoop(f"schedule {schedule.logical_id}", max(0.5, seconds * scale), run)
