"""Reading the JSON CloudWatch publishes to SNS when an alarm changes state, into a typed AlarmStateChange.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-sns-schema
Only the name and the new state are required, so a message CloudWatch extends tomorrow still renders; anything
else raises UnreadableAlarmMessageError, and the caller forwards it raw.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final


class UnreadableAlarmMessageError(ValueError):
    """The message is not a CloudWatch alarm state change; the text says what is wrong with it."""


class AlarmState(StrEnum):
    ALARM = "ALARM"
    OK = "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class MetricStat:
    """One CloudWatch metric and how it is reduced over a period."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    """As CloudWatch names it in alarm definitions: Sum, Average, Maximum, p99…"""


@dataclass(frozen=True)
class Trigger:
    """What a metric alarm watches and when it fires."""

    comparison_operator: str
    threshold: float | None
    period_seconds: int | None
    evaluation_periods: int | None
    datapoints_to_alarm: int | None
    treat_missing_data: str | None
    metric: MetricStat | None
    """The watched metric; None for a metric-math alarm (none in this stack: its reason and figure still show)."""


@dataclass(frozen=True)
class AlarmStateChange:
    alarm_name: str
    new_state: AlarmState
    old_state: AlarmState | None
    reason: str
    description: str | None
    changed_at: datetime | None
    account_id: str | None
    region: str | None
    """The region code (eu-west-1), read from the alarm ARN; the message's `Region` is only a display name."""
    trigger: Trigger | None
    """None for a composite alarm (none in this stack: its reason names the child that changed)."""
    datapoints: tuple[float, ...]
    """The recent values CloudWatch quotes in the reason, most recent first (empty when it quotes none)."""
    actions_taken: tuple[tuple[str, str], ...] = ()
    """What the notifier did about this change (the throttle guard), as rows every channel shows; each value
    starts with what was done, before a colon (`engaged: ...`): the subject says `— <label's last word> <that>`."""
    resolves_alarm: bool = False
    """The owner was told this alarm is in ALARM (alarm_memory.py), and this OK ends it."""


# The reason quotes datapoints as `[7.0 (01/01/24 12:00:00), 6.0 (01/01/24 11:55:00)]`.
_DATAPOINT: Final = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?) \(\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\)")
_ALARM_ARN: Final = re.compile(r"^arn:[\w-]+:cloudwatch:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):alarm:(?P<name>.+)$")


def encodable(text: str) -> str:
    """The text with lone surrogates (UTF-8 cannot encode them) and NULs (mail headers refuse them) as U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _clean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {encodable(key): _clean(value) for key, value in pairs}


def parse_alarm_message(text: str) -> AlarmStateChange:
    """The state change in an SNS message body; raises UnreadableAlarmMessageError if it is not one."""
    try:
        # Every string of every object is made encodable as it is read (a JSON `\ud800` escape is a lone
        # surrogate, which no channel can encode), so no field of the change can fail a channel.
        document = json.loads(text, object_pairs_hook=_clean_object)
    except ValueError as exc:
        raise UnreadableAlarmMessageError(f"the message is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise UnreadableAlarmMessageError("the message is JSON nested too deeply to read") from exc
    if not isinstance(document, dict):
        raise UnreadableAlarmMessageError("the message is JSON but not an object")
    name = document.get("AlarmName")
    if not isinstance(name, str) or not name:
        raise UnreadableAlarmMessageError("the message has no AlarmName")
    new_state = _state(document.get("NewStateValue"))
    if new_state is None:
        raise UnreadableAlarmMessageError(f"NewStateValue {document.get('NewStateValue')!r} is not an alarm state")

    arn = text_or_none(document.get("AlarmArn"))
    arn_match = _ALARM_ARN.match(arn or "")
    reason = text_or_none(document.get("NewStateReason")) or ""
    return AlarmStateChange(
        alarm_name=name,
        new_state=new_state,
        old_state=_state(document.get("OldStateValue")),
        reason=reason,
        description=text_or_none(document.get("AlarmDescription")),
        changed_at=_timestamp(document.get("StateChangeTime")),
        account_id=text_or_none(document.get("AWSAccountId")) or (arn_match["account"] if arn_match else None),
        region=arn_match["region"] if arn_match else None,
        trigger=_trigger(document.get("Trigger")),
        datapoints=tuple(float(value) for value in _DATAPOINT.findall(reason)),
    )


def _state(value: Any) -> AlarmState | None:
    try:
        return AlarmState(value)
    except ValueError:
        return None


def text_or_none(value: Any) -> str | None:
    """A non-empty string, or None for anything else (absent, empty, not text)."""
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    # Python's JSON accepts NaN, Infinity and 1e999; none is a value CloudWatch sends.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _timestamp(value: Any) -> datetime | None:
    # CloudWatch writes `2024-05-01T12:05:00.123+0000`, which fromisoformat reads since Python 3.11.
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _dimensions(value: Any) -> tuple[tuple[str, str], ...]:
    # Alarm messages spell dimension keys in lower case (`name`/`value`), the API in title case; accept both.
    if not isinstance(value, list):
        return ()
    pairs = []
    for item in value:
        if isinstance(item, dict):
            name, dimension_value = item.get("name", item.get("Name")), item.get("value", item.get("Value"))
            if isinstance(name, str) and isinstance(dimension_value, str):
                pairs.append((name, dimension_value))
    return tuple(pairs)


def _statistic(trigger: dict[str, Any]) -> str:
    extended = text_or_none(trigger.get("ExtendedStatistic"))
    if extended:
        return extended
    # Messages spell simple statistics in capitals (SUM); alarm definitions and the console say Sum.
    simple = text_or_none(trigger.get("Statistic")) or ""
    return {"SAMPLE_COUNT": "SampleCount"}.get(simple, simple.capitalize())


def _trigger(value: Any) -> Trigger | None:
    if not isinstance(value, dict):
        return None
    metric = None
    if isinstance(value.get("MetricName"), str):
        metric = MetricStat(
            namespace=str(value.get("Namespace", "")),
            name=value["MetricName"],
            dimensions=_dimensions(value.get("Dimensions")),
            statistic=_statistic(value),
        )
    return Trigger(
        comparison_operator=str(value.get("ComparisonOperator", "")),
        threshold=_number(value.get("Threshold")),
        period_seconds=_whole(value.get("Period")),
        evaluation_periods=_whole(value.get("EvaluationPeriods")),
        datapoints_to_alarm=_whole(value.get("DatapointsToAlarm")),
        treat_missing_data=text_or_none(value.get("TreatMissingData")),
        metric=metric,
    )
