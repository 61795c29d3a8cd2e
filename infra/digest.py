"""The weekly digest: its own Lambda function (functions/digest; why, and what it costs: docs/alerting.md),
scheduled by EventBridge Scheduler. Its role may read what the digest reports (the counter's metrics, this stack's
alarm history, the visits table's figure items) and deliver on the alert channels as the notifier does
(NotifierService.deliver_on_channels). Its failures go to the notifier's dead-letter queue, so
`notifier-dead-letters` covers it without an alarm of its own.

With config reader_notes, the same function runs hourly with the notes' event kind: it already holds the table
reads, the channels and the dead-letter queue a note needs, so a second function would repeat that wiring for no
gain (Lambda bills invocations, not functions). Its one write, the notes' state item, is granted on that key only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction, scheduler_role
from infra.nag import suppress_finding
from infra.notifier import CHANNEL_TIMEOUT_BUDGET, NOTIFIER_MAX_EVENT_AGE, NOTIFIER_RETRY_ATTEMPTS, NotifierService

DIGEST_MEMORY_MB: Final = 256
DIGEST_TIMEOUT: Final = Duration.seconds(90)
"""Four CloudWatch reads per run plus one per alarm (each at most 3 x (2 + 10) s when CloudWatch is slow, usually
well under a second) and the email's worst case (infra/notifier.py: about 40 s); each other channel adds its budget."""

METRIC_READ_ACTIONS: Final = ("cloudwatch:GetMetricData",)
"""NOTE: GetMetricData supports no resource-level permissions (its resource is `*`); it reads metrics only.
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"""
ALARM_HISTORY_ACTIONS: Final = ("cloudwatch:DescribeAlarmHistory",)
"""Scoped to this stack's alarms: the digest asks for one alarm at a time (AlarmName), and the action takes the
alarm as its resource. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"""
SCHEDULER_RETRY_ATTEMPTS: Final = 2
"""Scheduler's own retries when the invocation itself fails (throttled, the function missing); a failure inside the
function is Lambda's to retry (its async-invoke config), since Scheduler invokes it asynchronously."""
SCHEDULER_MAX_EVENT_AGE: Final = Duration.hours(6)
"""A digest that could not be handed to Lambda for 6 hours goes to the dead-letter queue, as an alert would."""
NOTES_SCHEDULE: Final = "rate(1 hour)"
"""At most one note an hour (docs/alerting.md#notes): 720 runs in a 30-day month."""
NOTES_MAX_EVENT_AGE: Final = Duration.hours(1)
"""A notes run not handed to Lambda within the hour is overtaken by the next, which tells all since the last note."""
TABLE_READ_ACTIONS: Final = ("dynamodb:GetItem", "dynamodb:BatchGetItem")
NOTES_WRITE_ACTIONS: Final = ("dynamodb:PutItem",)
"""NOTE: dynamodb:LeadingKeys limits an item action to the partition key values listed (ForAllValues: every key of
the request). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html"""


class WeeklyDigest(Construct):
    """Exposes `digest` (PythonFunction) and `schedule`. NOTE: Scheduler's cron runs in the time zone given (UTC
    here, the digest's weeks are UTC weeks). https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based"""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        schedule_expression: str | None,
        notifier: NotifierService,
        alarms: Mapping[str, cloudwatch.IAlarm],
        table: dynamodb.ITable,
    ) -> None:
        """`schedule_expression` None: no weekly digest (the function may still run the notes)."""
        super().__init__(scope, construct_id)
        self.digest = PythonFunction(
            self,
            "Digest",
            handler=catalog.DIGEST_HANDLER,
            description="Weekly digest (views, readers, alarms of the week) and notes, to every alert channel",
            memory_mb=DIGEST_MEMORY_MB,
            timeout=Duration.seconds(
                DIGEST_TIMEOUT.to_seconds() + len(config.alert_channels) * CHANNEL_TIMEOUT_BUDGET.to_seconds()
            ),
            log_retention_days=config.log_retention_days,
            environment={catalog.ALARM_IDS_ENV: ",".join(sorted(alarms)), catalog.TABLE_NAME_ENV: table.table_name},
        )
        notifier.deliver_on_channels(self.digest)
        dead_letter_queue = notifier.dead_letter_queue
        self.digest.function.configure_async_invoke(
            retry_attempts=NOTIFIER_RETRY_ATTEMPTS,
            max_event_age=NOTIFIER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(dead_letter_queue),
        )
        self._grant_reads(self.digest, list(alarms.values()))
        self._grant_table(table, notes=config.reader_notes)
        role = scheduler_role(self, self.digest, "digest-invoke")

        def schedule(
            schedule_id: str, description: str, expression: str, event: dict[str, object], max_event_age: Duration
        ) -> scheduler.Schedule:
            """A schedule invoking the function with `event`, in UTC, retried and dead-lettered as an alert is."""
            return scheduler.Schedule(
                self,
                schedule_id,
                description=description,
                schedule=scheduler.ScheduleExpression.expression(expression, TimeZone.ETC_UTC),
                target=targets.LambdaInvoke(
                    self.digest.function,
                    input=scheduler.ScheduleTargetInput.from_object(event),
                    dead_letter_queue=dead_letter_queue,
                    retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
                    max_event_age=max_event_age,
                    role=role,
                ),
            )

        # Each run's scheduled time is the same on each retry: it keys the digest's deliveries, and the notes'
        # state and deliveries (a retry tells nothing twice).
        self.schedule: scheduler.Schedule | None = None
        if schedule_expression is not None:
            self.schedule = schedule(
                catalog.DIGEST_SCHEDULE_ID,
                "Weekly digest: views, readers and alarms of the week, to every alert channel",
                schedule_expression,
                {
                    "kind": catalog.DIGEST_EVENT_KIND,
                    "scheduled_time": scheduler.ContextAttribute.scheduled_time,
                    "so_far": False,
                },
                SCHEDULER_MAX_EVENT_AGE,
            )
        self.notes_schedule: scheduler.Schedule | None = None
        if config.reader_notes:
            self.notes_schedule = schedule(
                catalog.NOTES_SCHEDULE_ID,
                "Notes: first opens of application links and downloads of the last hour, if any",
                NOTES_SCHEDULE,
                {"kind": catalog.NOTES_EVENT_KIND, "scheduled_time": scheduler.ContextAttribute.scheduled_time},
                NOTES_MAX_EVENT_AGE,
            )

    def _grant_table(self, table: dynamodb.ITable, *, notes: bool) -> None:
        """Reads of the figure items by key (never a Scan or a visitor's item), and the notes' state item."""
        read_keys = [
            catalog.VISITS_ITEM_KEY,
            catalog.DAY_KEY_PREFIX + "*",
            catalog.LINK_KEY_PREFIX + "*",
            catalog.LINK_REGISTRY_KEY,
        ]
        statements = [
            iam.PolicyStatement(
                actions=list(TABLE_READ_ACTIONS),
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": read_keys + ([catalog.NOTES_STATE_KEY] if notes else [])
                    }
                },
            )
        ]
        if notes:
            statements.append(
                iam.PolicyStatement(
                    actions=list(NOTES_WRITE_ACTIONS),
                    resources=[table.table_arn],
                    conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [catalog.NOTES_STATE_KEY]}},
                )
            )
        iam.Policy(self, "DigestTableAccess", statements=statements).attach_to_role(self.digest.role)

    def _grant_reads(self, digest: PythonFunction, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        reads = iam.Policy(
            self,
            "DigestReads",
            statements=[
                iam.PolicyStatement(actions=list(METRIC_READ_ACTIONS), resources=["*"]),
                iam.PolicyStatement(actions=list(ALARM_HISTORY_ACTIONS), resources=[a.alarm_arn for a in alarms]),
            ],
        )
        reads.attach_to_role(digest.role)
        suppress_finding(reads, "AwsSolutions-IAM5[Resource::*]", "digest-metric-read")
