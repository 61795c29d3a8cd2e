"""EventBridge Scheduler schedules, and the arithmetic of their expressions: how often one fires in a month.

NOTE: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.template import LocalTemplate, referenced

DAYS_PER_MONTH: Final = 30
"""Every monthly figure is for a 30-day month (720 hours, 2,592,000 seconds)."""
SECONDS_PER_MONTH: Final = DAYS_PER_MONTH * 86_400
_RATE: Final = re.compile(r"^rate\((?P<n>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86_400}
_WEEKDAYS: Final = {name: n for n, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    expression: str
    enabled: bool
    target: str | None
    """The logical id of the function it invokes (None: a target outside the stack)."""
    input: Mapping[str, Any] | None
    """The event it sends (its target's Input); None: a LambdaInvoke target without one sends `{}`."""

    @property
    def interval_seconds(self) -> int | None:
        """A `rate(...)` schedule's interval; None for cron and one-time ones."""
        return rate_seconds(self.expression)

    @property
    def runs_per_month(self) -> float:
        return runs_per_month(self.expression) if self.enabled else 0.0


def read_schedules(template: LocalTemplate) -> tuple[Schedule, ...]:
    return tuple(
        Schedule(
            logical_id=logical_id,
            expression=str(props["ScheduleExpression"]),
            enabled=props.get("State", "ENABLED") == "ENABLED",
            target=referenced(props["Target"].get("Arn")),
            input=json.loads(props["Target"]["Input"]) if "Input" in props["Target"] else None,
        )
        for logical_id, props in template.each("AWS::Scheduler::Schedule")
    )


def rate_seconds(expression: str) -> int | None:
    rate = _RATE.match(expression)
    return None if rate is None else int(rate["n"]) * _UNIT_SECONDS[rate["unit"].rstrip("s")]


def runs_per_month(expression: str) -> float:
    """How often a Scheduler expression fires in a 30-day month: `rate(n unit)`, or a six-field `cron(...)`
    (minutes hours day-of-month month day-of-week year) counted field by field, a weekday list as n/7 of the days."""
    seconds = rate_seconds(expression)
    if seconds is not None:
        return SECONDS_PER_MONTH / seconds
    if expression.startswith("at("):
        return 0.0  # one-time: not a monthly figure
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ValueError(f"not a Scheduler expression: {expression!r}")
    minute, hour, day_of_month, _month, day_of_week, _year = expression[5:-1].split()
    per_day = _field_count(minute, 0, 59) * _field_count(hour, 0, 23)
    if day_of_week not in ("?", "*"):
        days = _field_count(day_of_week, 1, 7, names=_WEEKDAYS) * DAYS_PER_MONTH / 7
    elif day_of_month not in ("?", "*"):
        days = min(_field_count(day_of_month, 1, 31), DAYS_PER_MONTH)
    else:
        days = DAYS_PER_MONTH
    return per_day * days


def _field_count(field: str, low: int, high: int, names: Mapping[str, int] | None = None) -> int:
    """How many values a cron field matches: `*`, `n`, `a-b`, `a,b`, `*/s`, `a/s`, `a-b/s`, weekday names."""
    values: set[int] = set()
    for part in field.upper().split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            start, end = low, high
        elif "-" in span:
            first, last = span.split("-")
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(span, names)
            end = high if step else start
        values |= set(range(start, end + 1, int(step or 1)))
    return len(values)


def _value(text: str, names: Mapping[str, int] | None) -> int:
    return names[text] if names and text in names else int(text)
