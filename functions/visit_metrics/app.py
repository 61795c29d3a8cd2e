"""Lambda entry point of the visit metrics: the visits table's stream records in, one EMF document per 5-minute
bucket (catalog.VISIT_METRICS_BUCKET_SECONDS) out.

The counter used to print Visits and UniqueVisitors as one EMF line per visit; this function publishes the same
two metrics (same names, namespace and {service: visit-counter} dimension, so the same billed custom metrics and
the same alarms, dashboard and digest) summed per bucket from the writes DynamoDB applied (deltas.py). Its event
source mapping batches the stream (up to 5 minutes, infra/visit_metrics.py) and passes only the totals item's
records.

Logs: a normal batch writes nothing but its EMF documents (every log byte is billed); a record whose time cannot
be read writes one warning. Unexpected errors propagate: Lambda retries the batch, and the event source mapping's
retry and on-failure settings decide what happens after that. Nothing is printed before the whole batch has been
read, so a failed batch publishes no bucket that its retry would publish again.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.common import catalog
from functions.visit_metrics.deltas import BucketFigures, bucket_figures

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=catalog.VISIT_METRICS_SERVICE)
# NOTE: the counter's service, not this function's: each distinct dimension set is another billed custom metric,
# and the alarms, dashboard and digest read {service: visit-counter}.
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.COUNTER_SERVICE)


@cache
def bucket_seconds() -> int:
    """The bucket's length, which infra sets (catalog.VISIT_METRICS_BUCKET_SECONDS) and the local runtime scales with
    its alarm periods, so a scaled local dashboard shows each visit in its scaled period."""
    value = os.environ.get(catalog.VISIT_METRICS_BUCKET_ENV, "")
    if not value.isdigit() or int(value) < 1:
        name = catalog.VISIT_METRICS_BUCKET_ENV
        raise RuntimeError(f"environment variable {name} is not a whole number ≥ 1: {value!r}")
    return int(value)


def publish(figures: BucketFigures) -> None:
    """One EMF document for the bucket, stamped with its start, so CloudWatch files its counts under that period and not
    under the time the batch ran.

    NOTE: EMF timestamps must be no more than 2 weeks in the past and 2 hours in the future, or CloudWatch drops
    the metrics; the stream keeps records for 24 hours, so a record's bucket is always within that window.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
    """
    metrics.set_timestamp(figures.start)
    metrics.add_metric(name=catalog.VISITS_METRIC, unit=MetricUnit.Count, value=figures.views)
    if figures.unique_visitors > 0:
        metrics.add_metric(name=catalog.UNIQUE_VISITORS_METRIC, unit=MetricUnit.Count, value=figures.unique_visitors)
    metrics.flush_metrics()


# NOTE: no @metrics.log_metrics: each bucket is flushed as its own document above, and the decorator's flush at
# the end would find nothing left and warn about it on every invocation (a billed stderr line).
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    figures = bucket_figures(event.get("Records", []), now=datetime.now(UTC), bucket_seconds=bucket_seconds())
    if figures.unreadable_timestamps:
        logger.warning(
            "stream records without a readable ApproximateCreationDateTime, counted in the current bucket",
            extra={
                "event_ids": [record.event_id for record in figures.unreadable_timestamps],
                "timestamps_seen": [record.value for record in figures.unreadable_timestamps],
            },
        )
    for bucket in figures.buckets:
        publish(bucket)
