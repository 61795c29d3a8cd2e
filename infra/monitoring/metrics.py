"""What every monitor shares: the period, the statistics, this project's custom metrics and the dashboard grid."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs

from functions.common import catalog

PERIOD: Final = Duration.minutes(5)
"""The period of every alarm and graph: config's thresholds are counts per 5 minutes (config.AlarmThresholds)."""
SUM: Final = cloudwatch.Stats.SUM
MAXIMUM: Final = cloudwatch.Stats.MAXIMUM
P99: Final = cloudwatch.Stats.p(99)
FULL_WIDTH: Final = 24
GRAPH_HEIGHT: Final = 6

Annotations = Callable[..., list[cloudwatch.HorizontalAnnotation]]
"""Threshold lines of the named alarms (alarms.AlarmSet.annotations), for the graph that shows their metrics."""


def counter_metric(metric_name: str, extra_dimensions: Mapping[str, str] | None = None) -> cloudwatch.Metric:
    """One of the counter's EMF metrics (catalog), under the fixed dimension Powertools gives it (plus, for
    IgnoredVisits by reason, its one fixed extra dimension)."""
    return cloudwatch.Metric(
        namespace=catalog.METRICS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE, **(extra_dimensions or {})},
        statistic=SUM,
        period=PERIOD,
    )


def graph(
    title: str,
    metrics: Sequence[cloudwatch.IMetric],
    annotations: Sequence[cloudwatch.HorizontalAnnotation] = (),
    *,
    width: int,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title, left=list(metrics), left_annotations=list(annotations), width=width, height=GRAPH_HEIGHT
    )


def log_table(title: str, log_groups: Sequence[logs.ILogGroup], query: str, *, width: int) -> cloudwatch.LogQueryWidget:
    """A Logs Insights query over `log_groups`, shown as a table."""
    return cloudwatch.LogQueryWidget(
        title=title,
        log_group_names=[group.log_group_name for group in log_groups],
        query_string=query,
        view=cloudwatch.LogQueryVisualizationType.TABLE,
        width=width,
        height=GRAPH_HEIGHT,
    )
