"""Monitor of the visits table: DynamoDB's own view of the counter's reads and writes, on the dashboard only (why
no alarm: docs/alerting.md, "What covers what")."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb

from infra.monitoring.metrics import PERIOD, SUM, graph


class VisitsTableMonitor:
    def __init__(self, table: dynamodb.ITableV2) -> None:
        self._table = table

    def widgets(self) -> list[cloudwatch.IWidget]:
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
                width=12,
            )
        ]
