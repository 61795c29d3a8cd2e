"""CloudWatch alarms as the template declares them: one metric, or metric math over several."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stack_model.template import LocalTemplate


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    statistic: str
    """Sum, Average, Minimum, Maximum, SampleCount, or a percentile like p99."""
    period_seconds: int


@dataclass(frozen=True)
class Alarm:
    logical_id: str
    name: str
    description: str
    metric: Metric | None
    """The one metric it reads; None for a metric-math alarm."""
    math_metrics: tuple[Metric, ...]
    """The metrics a metric-math alarm's expressions read (none for a single-metric alarm)."""
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.metric,) if self.metric is not None else self.math_metrics

    @property
    def metrics_read(self) -> int:
        """Each metric an alarm reads is billed: its one metric, or each its math reads."""
        return len(self.metrics)


def read_alarms(template: LocalTemplate) -> tuple[Alarm, ...]:
    return tuple(_alarm(template, lid) for lid in template.of_type("AWS::CloudWatch::Alarm"))


def _alarm(template: LocalTemplate, logical_id: str) -> Alarm:
    props = template.properties(logical_id)
    evaluation_periods = int(props.get("EvaluationPeriods", 1))
    math_stats = [query["MetricStat"] for query in props.get("Metrics", []) if "MetricStat" in query]
    metric = None
    if "Metrics" not in props:
        metric = _metric(template, props, props.get("Statistic") or props.get("ExtendedStatistic"), props)
    return Alarm(
        logical_id=logical_id,
        name=template.resolve(props.get("AlarmName", logical_id)),
        description=template.resolve(props.get("AlarmDescription", "")),
        metric=metric,
        math_metrics=tuple(_metric(template, stat.get("Metric", {}), stat.get("Stat"), stat) for stat in math_stats),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=int(props.get("DatapointsToAlarm", evaluation_periods)),
        threshold=float(props.get("Threshold", 0)),
        comparison=str(props.get("ComparisonOperator", "")),
        treat_missing_data=str(props.get("TreatMissingData", "missing")),
        alarm_actions=tuple(template.resolve(action) for action in props.get("AlarmActions", [])),
        ok_actions=tuple(template.resolve(action) for action in props.get("OKActions", [])),
    )


def _metric(template: LocalTemplate, names: Mapping[str, Any], statistic: Any, timing: Mapping[str, Any]) -> Metric:
    """`names`: where Namespace, MetricName and Dimensions are; `timing`: where Period is (the alarm's own
    properties for a single-metric alarm, a query's MetricStat for metric math)."""
    return Metric(
        namespace=str(names.get("Namespace", "")),
        name=str(names.get("MetricName", "")),
        dimensions={d["Name"]: template.resolve(d["Value"]) for d in names.get("Dimensions", [])},
        statistic=str(statistic or ""),
        period_seconds=int(timing.get("Period", 60)),
    )
