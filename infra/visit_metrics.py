"""The visit-metrics publisher: Visits and UniqueVisitors, read from the visits table's stream rather than written
by the counter on every visit.

Why: the counter's EMF line was the last log line of a counted visit, 266 bytes, $0.13 a million visits at list
price (docs/cost.md). The publisher gets the totals item's changes in batches and prints one EMF document per
5-minute bucket of them, so the metrics cost a batch, not a visit, and they are the increase DynamoDB applied: a
refused or failed write never shows on the dashboard. (Lambda delivers a stream's batches at least once, so a
batch it delivers twice, which is rare, shows twice; the stored count is exact either way.)
The price is a delay of up to the batching window (BATCHING_WINDOW) before a visit shows on the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction
from infra.nag import suppress_finding
from infra.stateful import parking_queue

BATCHING_WINDOW: Final = Duration.seconds(catalog.VISIT_METRICS_BUCKET_SECONDS)
"""How long Lambda gathers the stream's records before invoking: at most one invocation per 5 minutes a shard,
whatever the traffic (~8,640 a month), and the dashboard's Visits lag by up to this; the graphs' period is 5 minutes
too. NOTE: 300 s is the most a stream source allows.
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-MaximumBatchingWindowInSeconds"""
BATCH_SIZE: Final = 1000
"""Records per invocation at most: past ~3 visits a second a batch fills before its window ends."""
RETRY_ATTEMPTS: Final = 5
"""A failing batch is retried (halved each time, so one bad record cannot hold the rest back), then recorded in the
failed-batches queue, whose alarm tells the owner (infra/monitoring/visit_metrics.py). NOTE: a stream's records
wait in their shard for 24 hours; until they are processed or given up, later ones on that shard wait too.
https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html"""
MEMORY_MB: Final = 128
"""It sums a few numbers every 5 minutes: the least memory Lambda offers."""
TIMEOUT: Final = Duration.seconds(30)


def totals_item_filter() -> Mapping[str, Any]:
    """The event filter that lets through only the records of the site's totals item: salts and visitor items
    (and TTL's deletions of them) never reach the function, and filtered-out records are not billed.
    NOTE: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-ddb"""
    keys = {
        name: {kind: lambda_.FilterRule.is_equal(value) for kind, value in typed.items()}
        for name, typed in catalog.VISITS_TOTALS_KEY.items()
    }
    return lambda_.FilterCriteria.filter({"dynamodb": {"Keys": keys}})


class VisitMetricsPublisher(Construct):
    """Exposes `publisher` (the PythonFunction) and `failed_batches` (the queue of batches given up)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, table: dynamodb.ITableV2
    ) -> None:
        super().__init__(scope, construct_id)
        self.publisher = PythonFunction(
            self,
            "Publisher",
            handler=catalog.VISIT_METRICS_HANDLER,
            description="Visit metrics: Visits and UniqueVisitors from the visits table's stream",
            memory_mb=MEMORY_MB,
            timeout=TIMEOUT,
            log_retention_days=config.log_retention_days,
            environment={catalog.VISIT_METRICS_BUCKET_ENV: str(catalog.VISIT_METRICS_BUCKET_SECONDS)},
            tracing=lambda_.Tracing.DISABLED,
            # Lambda's start and report lines would be most of its log bytes; it logs only what goes wrong.
            platform_logs=False,
        )
        self.failed_batches = parking_queue(self, "FailedBatches")
        suppress_finding(self.failed_batches, "AwsSolutions-SQS3", "visit-metrics-failed-batches")
        function = self.publisher.function
        lambda_.EventSourceMapping(
            self,
            "FromVisitsStream",
            target=function,
            event_source_arn=table.table_stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=BATCH_SIZE,
            max_batching_window=BATCHING_WINDOW,
            retry_attempts=RETRY_ATTEMPTS,
            bisect_batch_on_error=True,
            on_failure=event_sources.SqsDlq(self.failed_batches),
            filters=[totals_item_filter()],
        )
        # NOTE: the four stream actions on this stream alone, as AWS's own example policy for a stream-triggered
        # function scopes them (ListStreams included). The mapping refers to the function, which depends on this
        # policy, so CloudFormation attaches it before Lambda checks the role while creating the mapping.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html
        table.grant_stream_read(function)
