"""CloudWatch alarms, evaluated locally from the synthesized template (moto stores alarms, never evaluates them).

Semantics follow https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html:
the last EvaluationPeriods periods are reduced with the alarm's statistic; the alarm is in ALARM when at least
DatapointsToAlarm of them breach, and TreatMissingData says what an empty period counts as.
Periods may be scaled down (the drill) — every report says so.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION
from tools.local.cloudwatch.metrics import MetricStore

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


@dataclass
class AlarmDefinition:
    logical_id: str
    name: str
    description: str
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    statistic: str
    """Sum, Average, Minimum, Maximum, SampleCount, or a percentile like p99."""
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    alarm_actions: list[str]
    ok_actions: list[str]
    state: str = "INSUFFICIENT_DATA"
    history: list[tuple[float, str, str]] = field(default_factory=list)


def alarms_from_template(
    template: Mapping[str, Any], resolve: Callable[[Any], str]
) -> tuple[list[AlarmDefinition], list[str]]:
    """Single-metric alarms, with references resolved to local names; and the ids of those not evaluated here."""
    alarms: list[AlarmDefinition] = []
    skipped: list[str] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        if "MetricName" not in props:
            skipped.append(logical_id)  # metric math: not evaluated locally
            continue
        alarms.append(
            AlarmDefinition(
                logical_id=logical_id,
                name=resolve(props.get("AlarmName", logical_id)),
                description=resolve(props.get("AlarmDescription", "")),
                namespace=props["Namespace"],
                metric_name=props["MetricName"],
                dimensions={d["Name"]: resolve(d["Value"]) for d in props.get("Dimensions", [])},
                statistic=props.get("Statistic") or props["ExtendedStatistic"],
                period_seconds=int(props["Period"]),
                evaluation_periods=int(props["EvaluationPeriods"]),
                datapoints_to_alarm=int(props.get("DatapointsToAlarm", props["EvaluationPeriods"])),
                threshold=float(props["Threshold"]),
                comparison=props["ComparisonOperator"],
                treat_missing_data=props.get("TreatMissingData", "missing"),
                alarm_actions=[resolve(a) for a in props.get("AlarmActions", [])],
                ok_actions=[resolve(a) for a in props.get("OKActions", [])],
            )
        )
    return alarms, skipped


def reduce(values: list[float], statistic: str) -> float:
    if statistic == "Sum":
        return math.fsum(values)
    if statistic == "Average":
        return statistics.fmean(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "SampleCount":
        return float(len(values))
    if statistic.startswith("p"):
        ordered = sorted(values)
        rank = math.ceil(float(statistic[1:]) / 100 * len(ordered))
        return ordered[max(rank, 1) - 1]
    raise ValueError(f"statistic {statistic} is not supported locally")


@dataclass(frozen=True)
class StateChange:
    alarm: AlarmDefinition
    old_state: str
    new_state: str
    reason: str
    at: float
    period_scale: float

    def cloudwatch_message(self) -> dict[str, Any]:
        """The JSON CloudWatch publishes to SNS on a state change."""
        alarm = self.alarm
        statistic_fields = (
            {"StatisticType": "ExtendedStatistic", "ExtendedStatistic": alarm.statistic}
            if alarm.statistic.startswith("p")
            else {"StatisticType": "Statistic", "Statistic": alarm.statistic.upper()}
        )
        return {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "AWSAccountId": LOCAL_ACCOUNT_ID,
            "AlarmConfigurationUpdatedTimestamp": _iso(self.at),
            "NewStateValue": self.new_state,
            "NewStateReason": self.reason,
            "StateChangeTime": _iso(self.at),
            "Region": "US East (N. Virginia)",
            "AlarmArn": f"arn:aws:cloudwatch:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:alarm:{alarm.name}",
            "OldStateValue": self.old_state,
            "OKActions": alarm.ok_actions,
            "AlarmActions": alarm.alarm_actions,
            "InsufficientDataActions": [],
            "Trigger": {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                **statistic_fields,
                "Unit": None,
                "Dimensions": [{"value": v, "name": k} for k, v in alarm.dimensions.items()],
                "Period": int(alarm.period_seconds * self.period_scale),
                "EvaluationPeriods": alarm.evaluation_periods,
                "DatapointsToAlarm": alarm.datapoints_to_alarm,
                "ComparisonOperator": alarm.comparison,
                "Threshold": alarm.threshold,
                "TreatMissingData": alarm.treat_missing_data,
                "EvaluateLowSampleCountPercentile": "",
            },
        }


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class AlarmEvaluator:
    def __init__(self, alarms: list[AlarmDefinition], store: MetricStore, period_scale: float = 1.0) -> None:
        self.alarms = alarms
        self.store = store
        self.period_scale = period_scale

    def evaluate(self, now: float | None = None) -> list[StateChange]:
        now = now or time.time()
        return [change for alarm in self.alarms if (change := self._evaluate(alarm, now)) is not None]

    def _evaluate(self, alarm: AlarmDefinition, now: float) -> StateChange | None:
        period = alarm.period_seconds * self.period_scale
        outcomes: list[bool | None] = []  # newest last; None = no data in that period
        values: list[float | None] = []
        for index in range(alarm.evaluation_periods, 0, -1):
            start = now - index * period
            points = self.store.values(alarm.namespace, alarm.metric_name, alarm.dimensions, start, start + period)
            if not points:
                values.append(None)
                outcomes.append({"breaching": True, "notBreaching": False}.get(alarm.treat_missing_data))
                continue
            value = reduce(points, alarm.statistic)
            values.append(value)
            outcomes.append(_COMPARISONS[alarm.comparison](value, alarm.threshold))
        breaching = sum(1 for outcome in outcomes if outcome)
        if breaching >= alarm.datapoints_to_alarm:
            new_state = "ALARM"
        elif all(outcome is None for outcome in outcomes):
            # "missing"/"ignore" with no data at all: CloudWatch keeps or reports insufficient data.
            new_state = alarm.state if alarm.treat_missing_data == "ignore" else "INSUFFICIENT_DATA"
        else:
            new_state = "OK"
        if new_state == alarm.state:
            return None
        shown = ", ".join("no data" if v is None else f"{v:g}" for v in values)
        reason = (
            f"Threshold Crossed: {breaching} out of the last {alarm.evaluation_periods} datapoints [{shown}] "
            f"{'were' if new_state == 'ALARM' else 'were not'} {_phrase(alarm.comparison)} the threshold "
            f"({alarm.threshold:g}) (minimum {alarm.datapoints_to_alarm} datapoints for OK -> ALARM transition)."
        )
        change = StateChange(alarm, alarm.state, new_state, reason, now, self.period_scale)
        alarm.history.append((now, alarm.state, new_state))
        alarm.state = new_state
        return change


def _phrase(comparison: str) -> str:
    return {
        "GreaterThanThreshold": "greater than",
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "LessThanThreshold": "less than",
        "LessThanOrEqualToThreshold": "less than or equal to",
    }[comparison]


class AlarmWatch:
    """One evaluation round after another: each state change is published to its alarm's actions, in order. A
    change whose publishing failed (the emulator's SNS unreachable) is kept and published first next round, so a
    hiccup delays an alarm email instead of losing it."""

    def __init__(self, evaluator: AlarmEvaluator, publish: Callable[[StateChange], None]) -> None:
        self.evaluator = evaluator
        self.changes: list[StateChange] = []
        self._publish = publish
        self._unpublished: list[StateChange] = []
        self._one_round_at_a_time = threading.Lock()  # the alarm loop's and a caller's (LocalSystem.evaluate_alarms)

    def evaluate(self) -> list[StateChange]:
        with self._one_round_at_a_time:
            changes = self.evaluator.evaluate()
            self.changes.extend(changes)
            self._unpublished.extend(changes)
            while self._unpublished:
                self._publish(self._unpublished[0])  # an error ends the round; the loop logs it (loops.py)
                self._unpublished.pop(0)
            return changes
