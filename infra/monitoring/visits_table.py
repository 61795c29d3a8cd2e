"""Monitor of the visits table: DynamoDB's own view of the counter's reads and writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb

from infra.config import AlarmThresholds
from infra.monitoring.alarm_spec import AT_LEAST, QUIET_IS_FINE, AlarmSpec, configured
from infra.monitoring.metrics import PERIOD, SUM
from infra.monitoring.widgets import Annotations, graph

VISITS_TABLE_ERRORS_ALARM: Final = "visits-table-errors"


class VisitsTableMonitor:
    def __init__(self, table: dynamodb.ITableV2, *, thresholds: AlarmThresholds, operations: Iterable[str]) -> None:
        """`operations`: the DynamoDB actions the counter calls (api.COUNTER_TABLE_ACTIONS), watched one by one."""
        self._table = table
        self.errors = _throttled_or_failed(table, [action.removeprefix("dynamodb:") for action in operations])
        self.alarm_specs = [
            AlarmSpec(
                VISITS_TABLE_ERRORS_ALARM,
                self.errors,
                configured(thresholds, "visits_table_errors_per_5_minutes"),
                AT_LEAST,
                QUIET_IS_FINE,
                "Health: DynamoDB throttled or failed requests on the visits table; visitors get 503. Check the "
                "AWS Health Dashboard and the table's metrics.",
            )
        ]

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        table = self._table
        return [
            graph(
                "DynamoDB capacity and throttles",
                [
                    table.metric_consumed_read_capacity_units(period=PERIOD, statistic=SUM, label="Read units"),
                    table.metric_consumed_write_capacity_units(period=PERIOD, statistic=SUM, label="Write units"),
                    table.metric("ReadThrottleEvents", period=PERIOD, statistic=SUM, label="Read throttles"),
                    table.metric("WriteThrottleEvents", period=PERIOD, statistic=SUM, label="Write throttles"),
                ],
                annotations(VISITS_TABLE_ERRORS_ALARM),
                width=12,
            )
        ]


def _throttled_or_failed(table: dynamodb.ITableV2, operations: list[str]) -> cloudwatch.MathExpression:
    """Throttled requests plus system errors, for each operation the counter calls."""
    metrics: dict[str, cloudwatch.IMetric] = {}
    for metric_name, prefix in (("ThrottledRequests", "throttled"), ("SystemErrors", "failed")):
        for operation in operations:
            metrics[f"{prefix}{operation}"] = cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name=metric_name,
                dimensions_map={"TableName": table.table_name, "Operation": operation},
                statistic=SUM,
                period=PERIOD,
            )
    # FILL: an operation with no throttles publishes nothing, which must count as 0, not blank out the sum.
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({metric_id}, 0)" for metric_id in metrics),
        using_metrics=metrics,
        label="Throttled or failed requests on the visits table",
        period=PERIOD,
    )
