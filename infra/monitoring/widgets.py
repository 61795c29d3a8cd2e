"""The dashboard grid every monitor's widgets share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs

FULL_WIDTH: Final = 24
GRAPH_HEIGHT: Final = 6

Annotations = Callable[..., list[cloudwatch.HorizontalAnnotation]]
"""Threshold lines of the named alarms (alarms.AlarmSet.annotations), for the graph that shows their metrics."""


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
