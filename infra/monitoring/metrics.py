"""What every monitor shares: the period, the statistics, and the identity of this project's custom metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from functions.common import catalog

PERIOD: Final = Duration.minutes(5)
"""The period of every alarm and graph: config's thresholds are counts per 5 minutes (config.AlarmThresholds)."""
SUM: Final = cloudwatch.Stats.SUM
MAXIMUM: Final = cloudwatch.Stats.MAXIMUM
P99: Final = cloudwatch.Stats.p(99)


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
