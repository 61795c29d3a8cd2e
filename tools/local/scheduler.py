"""EventBridge Scheduler locally: each rate schedule of the template runs as a background loop invoking its function
with the schedule's own event, its interval scaled like the alarm periods (`--period-scale`); `fire_now` runs one
schedule's event at once (`make digest`, `make notes`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from stack_model.schedules import Schedule
from stack_model.stack import StackModel
from tools.local.cloudwatch.logs import LogShipper
from tools.local.lambda_runtime.runtime import Invocation, LambdaRuntime
from tools.local.loops import BackgroundLoop

SCHEDULED_TIME_ATTRIBUTE: Final = "<aws.scheduler.scheduled-time>"
"""NOTE: Scheduler replaces this context attribute in a target's input with the run's scheduled time (ISO 8601).
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html"""


def local_schedules(model: StackModel) -> list[Schedule]:
    """Every enabled rate schedule targeting a function (cron ones are not run locally)."""
    return [s for s in model.schedules if s.enabled and s.interval_seconds is not None and s.target is not None]


def scheduled_event(schedule: Schedule, at: datetime) -> dict[str, Any]:
    """What the schedule sends at `at`: its input (or `{}`) with the scheduled time filled in."""
    stamp = at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    given: Mapping[str, Any] = schedule.input or {}
    return {key: stamp if value == SCHEDULED_TIME_ATTRIBUTE else value for key, value in given.items()}


def schedule_of_kind(model: StackModel, kind: str, why_none: str) -> Schedule:
    """The schedule whose event is of this `kind` (catalog's *_EVENT_KIND); LookupError, saying `why_none`, when the
    template has none."""
    for schedule in model.schedules:
        if schedule.target is not None and (schedule.input or {}).get("kind") == kind:
            return schedule
    raise LookupError(f"the template has no {kind} schedule ({why_none})")


def fire_now(schedule: Schedule, runtime: LambdaRuntime, **fields: Any) -> Invocation:
    """The schedule's event with now as its scheduled time (and `fields` set), invoked synchronously: the caller
    gets the answer."""
    assert schedule.target is not None, f"{schedule.logical_id} targets no function of the template"
    event = scheduled_event(schedule, datetime.now(UTC)) | fields
    return runtime.function(schedule.target).invoke(event)


def schedule_loop(
    schedule: Schedule, runtime: LambdaRuntime, model: StackModel, logs: Any, scale: float
) -> BackgroundLoop:
    """Invokes the function, then copies its log lines to its log group on the emulator with `logs` (logs.py)."""
    target, seconds = schedule.target, schedule.interval_seconds
    assert target is not None, "not one of local_schedules"
    assert seconds is not None, "not one of local_schedules"
    function = runtime.function(target)
    log_group = model.functions[target].log_group
    assert log_group is not None, f"{target} names no log group"
    shipper = LogShipper(logs, log_group, function.log_path)

    def run() -> None:
        function.invoke(scheduled_event(schedule, datetime.now(UTC)))
        shipper.ship()

    return BackgroundLoop(f"schedule {schedule.logical_id}", max(0.5, seconds * scale), run)
