"""A count on a second, fixed dimension set, for the Lambdas whose metrics are otherwise on {service} alone."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.common import catalog


def count_by(*, metric: str, service: str, dimension: str, value: str) -> None:
    """One count of `metric` on {service, dimension=value} (value from a fixed set: each is a billed metric).
    NOTE: Powertools puts all metrics of one flush under one dimension set, so this datapoint is its own EMF
    document (single_metric). https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/#single-metric
    """
    with single_metric(
        name=metric,
        unit=MetricUnit.Count,
        value=1,
        namespace=catalog.METRICS_NAMESPACE,
        default_dimensions={catalog.SERVICE_DIMENSION: service},
    ) as by_dimension:
        by_dimension.add_dimension(name=dimension, value=value)
