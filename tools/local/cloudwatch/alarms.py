"""CloudWatch alarms, evaluated locally from the synthesized template (moto stores alarms, never evaluates them):
the last EvaluationPeriods periods reduced with the statistic, ALARM when DatapointsToAlarm of them breach,
TreatMissingData for an empty period. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import jinja2

from stack_model.alarms import Alarm, Metric
from stack_model.stack import StackModel
from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION
from tools.local.cloudwatch.metrics import MetricStore

_COMPARISONS: dict[str, tuple[str, str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": ("greater than", ">", lambda v, t: v > t),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", "≥", lambda v, t: v >= t),
    "LessThanThreshold": ("less than", "<", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", "≤", lambda v, t: v <= t),
}
"""ComparisonOperator → how CloudWatch's reason phrases it, its sign (the console), and the test."""
REGION_NAME = "US East (N. Virginia)"
"""LOCAL_REGION as CloudWatch names it in its messages and email subjects."""
_EMAIL: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=jinja2.select_autoescape(),  # a text email: nothing to escape
    undefined=jinja2.StrictUndefined,
).get_template("alarm_email.txt")


def comparison_sign(comparison: str) -> str:
    return _COMPARISONS[comparison][1]


@dataclass
class AlarmDefinition:
    """A single-metric alarm of the stack and the state the local evaluator keeps for it."""

    declared: Alarm
    state: str = "INSUFFICIENT_DATA"
    history: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.declared.name

    @property
    def metric(self) -> Metric:
        assert self.declared.metric is not None, f"{self.declared.logical_id} is metric math (not evaluated here)"
        return self.declared.metric


def local_alarms(model: StackModel) -> list[AlarmDefinition]:
    """The single-metric alarms, to evaluate (metric math is not evaluated here)."""
    return [AlarmDefinition(alarm) for alarm in model.alarms if alarm.metric is not None]


_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Sum": math.fsum,
    "Average": statistics.fmean,
    "Minimum": min,
    "Maximum": max,
    "SampleCount": lambda values: float(len(values)),
}


def reduce(values: list[float], statistic: str) -> float:
    if statistic in _STATISTICS:
        return _STATISTICS[statistic](values)
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
        alarm, metric = self.alarm.declared, self.alarm.metric
        statistic_fields = (
            {"StatisticType": "ExtendedStatistic", "ExtendedStatistic": metric.statistic}
            if metric.statistic.startswith("p")
            else {"StatisticType": "Statistic", "Statistic": metric.statistic.upper()}
        )
        return {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "AWSAccountId": LOCAL_ACCOUNT_ID,
            "AlarmConfigurationUpdatedTimestamp": _iso(self.at),
            "NewStateValue": self.new_state,
            "NewStateReason": self.reason,
            "StateChangeTime": _iso(self.at),
            "Region": REGION_NAME,
            "AlarmArn": f"arn:aws:cloudwatch:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:alarm:{alarm.name}",
            "OldStateValue": self.old_state,
            "OKActions": list(alarm.ok_actions),
            "AlarmActions": list(alarm.alarm_actions),
            "InsufficientDataActions": [],
            "Trigger": {
                "MetricName": metric.name,
                "Namespace": metric.namespace,
                **statistic_fields,
                "Unit": None,
                "Dimensions": [{"value": v, "name": k} for k, v in metric.dimensions.items()],
                "Period": int(metric.period_seconds * self.period_scale),
                "EvaluationPeriods": alarm.evaluation_periods,
                "DatapointsToAlarm": alarm.datapoints_to_alarm,
                "ComparisonOperator": alarm.comparison,
                "Threshold": alarm.threshold,
                "TreatMissingData": alarm.treat_missing_data,
                "EvaluateLowSampleCountPercentile": "",
            },
        }

    def email_text(self) -> str:
        """CloudWatch's text for an SNS email subscription. NOTE: AWS publishes no template; this is the shape of
        received copies (docs/local.md, "The alerting-health email")."""
        alarm, metric = self.alarm.declared, self.alarm.metric
        period = int(metric.period_seconds * self.period_scale)
        condition = f"{alarm.comparison} {alarm.threshold:.1f}"
        if alarm.evaluation_periods == 1:
            condition += f" for {period} seconds"
        else:
            of_last = f"{alarm.datapoints_to_alarm} of the last {alarm.evaluation_periods} period(s)"
            condition += f" for at least {of_last} of {period} seconds"
        return _EMAIL.render(
            change=self,
            alarm=alarm,
            metric=metric,
            when=datetime.fromtimestamp(self.at, UTC).strftime("%A %d %B, %Y %H:%M:%S UTC"),
            region=LOCAL_REGION,
            region_name=REGION_NAME,
            quoted_name=quote(alarm.name),
            account=LOCAL_ACCOUNT_ID,
            alarm_arn=self.cloudwatch_message()["AlarmArn"],
            condition=condition,
            dimensions=" ".join(f"[{name} = {value}]" for name, value in metric.dimensions.items()),
            period=period,
        )


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

    def _evaluate(self, local: AlarmDefinition, now: float) -> StateChange | None:
        alarm, metric = local.declared, local.metric
        period = metric.period_seconds * self.period_scale
        outcomes: list[bool | None] = []  # newest last; None = no data in that period
        values: list[float | None] = []
        for index in range(alarm.evaluation_periods, 0, -1):
            start = now - index * period
            points = self.store.values(metric.namespace, metric.name, dict(metric.dimensions), start, start + period)
            if not points:
                values.append(None)
                outcomes.append({"breaching": True, "notBreaching": False}.get(alarm.treat_missing_data))
                continue
            value = reduce(points, metric.statistic)
            values.append(value)
            outcomes.append(_COMPARISONS[alarm.comparison][2](value, alarm.threshold))
        breaching = sum(1 for outcome in outcomes if outcome)
        if breaching >= alarm.datapoints_to_alarm:
            new_state = "ALARM"
        elif all(outcome is None for outcome in outcomes):
            # "missing"/"ignore" with no data at all: CloudWatch keeps or reports insufficient data.
            new_state = local.state if alarm.treat_missing_data == "ignore" else "INSUFFICIENT_DATA"
        else:
            new_state = "OK"
        if new_state == local.state:
            return None
        # As CloudWatch quotes them (and the notifier reads them): the periods with data, newest first, each with
        # its period's start, `dd/mm/yy HH:MM:SS` UTC.
        starts = [now - index * period for index in range(alarm.evaluation_periods, 0, -1)]
        shown = ", ".join(
            f"{float(value)} ({datetime.fromtimestamp(start, UTC):%d/%m/%y %H:%M:%S})"
            for value, start in reversed(list(zip(values, starts, strict=True)))
            if value is not None
        )
        reason = (
            f"Threshold Crossed: {breaching} out of the last {alarm.evaluation_periods} datapoints [{shown}] "
            f"{'were' if new_state == 'ALARM' else 'were not'} {_COMPARISONS[alarm.comparison][0]} the threshold "
            f"({alarm.threshold:g}) (minimum {alarm.datapoints_to_alarm} datapoints for OK -> ALARM transition)."
        )
        change = StateChange(local, local.state, new_state, reason, now, self.period_scale)
        local.history.append((now, local.state, new_state))
        local.state = new_state
        return change


class AlarmWatch:
    """Evaluation rounds whose state changes are published in order; one whose publishing failed is published first
    next round, so a hiccup delays an alarm email instead of losing it."""

    def __init__(self, evaluator: AlarmEvaluator, publish: Callable[[StateChange], None]) -> None:
        self.evaluator = evaluator
        self._publish = publish
        self._unpublished: list[StateChange] = []
        self._one_round_at_a_time = threading.Lock()  # the alarm loop's and a test's

    def evaluate(self) -> list[StateChange]:
        with self._one_round_at_a_time:
            changes = self.evaluator.evaluate()
            self._unpublished.extend(changes)
            while self._unpublished:
                self._publish(self._unpublished[0])  # an error ends the round; the loop logs it (loops.py)
                self._unpublished.pop(0)
            return changes
