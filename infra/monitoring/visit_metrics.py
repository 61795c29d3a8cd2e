"""Monitor of the visit-metrics publisher (infra/visit_metrics.py): a batch of the visits table's stream it gave up.

A failing batch is retried, so the one signal worth an alarm is a batch recorded in the failed-batches queue: its
visits are counted in the table, but missing from the Visits and UniqueVisitors graphs and the weekly digest.
One alarm metric; the publisher's errors are a graph, read when the alarm fires.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs

from infra.lambda_factory import PythonFunction
from infra.monitoring.alarm_spec import AT_LEAST, FIRST_FAILURE, QUIET_IS_FINE, AlarmSpec
from infra.monitoring.metrics import MAXIMUM, PERIOD, SUM
from infra.monitoring.widgets import Annotations, graph

VISIT_METRICS_FAILURES_ALARM: Final = "visit-metrics-failures"


class VisitMetricsMonitor:
    def __init__(self, publisher: PythonFunction, failed_batches: sqs.IQueue) -> None:
        self.log_group = publisher.log_group
        """The publisher's log group, for the dashboard's latest errors."""
        self.errors = publisher.function.metric_errors(period=PERIOD, statistic=SUM)
        # NOTE: SQS stops publishing metrics for a queue idle for 6 hours, but a queue holding messages is never
        # idle, so "no data" really means "empty".
        self.failed_batches = failed_batches.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic=MAXIMUM
        )
        self.alarm_specs = [
            AlarmSpec(
                VISIT_METRICS_FAILURES_ALARM,
                self.failed_batches,
                FIRST_FAILURE,
                AT_LEAST,
                QUIET_IS_FINE,
                "Metrics: the visit-metrics publisher gave up a batch of the visits table's stream, so some visits "
                "(counted and stored) are missing from the Visits graphs and the weekly digest. Read its ERROR logs "
                "and the batch's record in the failed-batches queue, fix the cause, then delete the record.",
                evaluation_periods=1,
                datapoints_to_alarm=1,
            )
        ]

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        return [
            graph(
                "Visit metrics publisher",
                [
                    self.errors.with_(label="Errors"),
                    self.failed_batches.with_(label="Batches given up"),
                ],
                annotations(VISIT_METRICS_FAILURES_ALARM),
                width=8,
            )
        ]
