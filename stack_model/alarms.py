"""CloudWatch alarms as the template declares them: one metric, or metric math over several."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.template import LocalTemplate

HIGH_RESOLUTION_PERIOD_SECONDS: Final = 60
"""NOTE: an alarm on a period under 60 s (10 s or 30 s) is a high-resolution alarm, billed at its own rate."""


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    statistic: str
    """Sum, Average, Minimum, Maximum, SampleCount, or a percentile like p99."""
    period_seconds: int


@dataclass(frozen=True)
class MetricQuery:
    """One entry of a metric-math alarm's Metrics: an expression, or a metric it reads."""

    id: str
    expression: str | None
    metric: Metric | None


@dataclass(frozen=True)
class Alarm:
    logical_id: str
    name: str
    description: str
    metric: Metric | None
    """The one metric it reads; None for a metric-math alarm (its `queries`)."""
    queries: tuple[MetricQuery, ...]
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]

    @property
    def metrics_read(self) -> int:
        """A single-metric alarm reads one metric; a metric-math alarm each metric its queries read (each billed)."""
        return 1 if self.metric is not None else sum(1 for query in self.queries if query.metric is not None)

    @property
    def high_resolution(self) -> bool:
        metrics = [self.metric] if self.metric is not None else [query.metric for query in self.queries]
        return any(m is not None and m.period_seconds < HIGH_RESOLUTION_PERIOD_SECONDS for m in metrics)


def read_alarms(template: LocalTemplate) -> tuple[Alarm, ...]:
    return tuple(_alarm(template, lid) for lid in template.of_type("AWS::CloudWatch::Alarm"))


def _alarm(template: LocalTemplate, logical_id: str) -> Alarm:
    props = template.properties(logical_id)
    evaluation_periods = int(props.get("EvaluationPeriods", 1))
    metric = None
    if "Metrics" not in props:
        metric = _metric(template, props, props.get("Statistic") or props.get("ExtendedStatistic"), props)
    return Alarm(
        logical_id=logical_id,
        name=template.resolve(props.get("AlarmName", logical_id)),
        description=template.resolve(props.get("AlarmDescription", "")),
        metric=metric,
        queries=tuple(_query(template, query) for query in props.get("Metrics", [])),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=int(props.get("DatapointsToAlarm", evaluation_periods)),
        threshold=float(props.get("Threshold", 0)),
        comparison=str(props.get("ComparisonOperator", "")),
        treat_missing_data=str(props.get("TreatMissingData", "missing")),
        alarm_actions=tuple(template.resolve(action) for action in props.get("AlarmActions", [])),
        ok_actions=tuple(template.resolve(action) for action in props.get("OKActions", [])),
    )


def _query(template: LocalTemplate, query: Mapping[str, Any]) -> MetricQuery:
    stat = query.get("MetricStat")
    metric = None if stat is None else _metric(template, stat.get("Metric", {}), stat.get("Stat"), stat)
    return MetricQuery(str(query.get("Id", "")), query.get("Expression"), metric)


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
