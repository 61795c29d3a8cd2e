"""Monitor of the visits table: DynamoDB's own view of the counter's reads and writes, on the dashboard.

No alarm of its own: a throttled or failed request the counter could not absorb is a visit answered 503, which
visit-store-failures (the counter's own count of them) and api-5xx-errors already alarm on; one DynamoDB retried
successfully is nothing the owner must act on. Watching it here would read 6 metrics (2 per operation), 6 of the
10 alarm metrics the free tier covers (docs/alerting.md, "What covers what").
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb

from infra.monitoring.metrics import PERIOD, SUM
from infra.monitoring.widgets import graph


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
