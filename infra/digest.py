"""The weekly digest and the hourly reader notes: one Lambda (functions/digest) that EventBridge Scheduler invokes,
delivering on the alert channels as the notifier does; why one function, its grants and its cost:
docs/alerting.md, "Weekly digest" and "Notes"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction, scheduler_role
from infra.notifier import CHANNEL_TIMEOUT_BUDGET, NOTIFIER_MAX_EVENT_AGE, NOTIFIER_RETRY_ATTEMPTS, NotifierService

DIGEST_MEMORY_MB: Final = 256
DIGEST_TIMEOUT: Final = Duration.seconds(90)
"""The table's and CloudWatch's reads (each at most 3 x (2 + 10) s when slow) and the email's worst case
(infra/notifier.py)."""

# NOTE: DescribeAlarmHistory takes the alarm as its resource (the digest asks for one alarm at a time).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
ALARM_HISTORY_ACTIONS: Final = ("cloudwatch:DescribeAlarmHistory",)
SCHEDULER_RETRY_ATTEMPTS: Final = 2
"""Scheduler's own retries when it cannot invoke; a failure inside the function is Lambda's to retry."""
SCHEDULER_MAX_EVENT_AGE: Final = Duration.hours(6)
NOTES_SCHEDULE: Final = "rate(1 hour)"
NOTES_MAX_EVENT_AGE: Final = Duration.hours(1)
"""A notes run not handed to Lambda within the hour is overtaken by the next, which tells all since the last note."""
TABLE_READ_ACTIONS: Final = ("dynamodb:GetItem", "dynamodb:BatchGetItem")
NOTES_WRITE_ACTIONS: Final = ("dynamodb:PutItem",)
"""NOTE: dynamodb:LeadingKeys limits an item action to the partition key values listed (ForAllValues: every key of
the request). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html"""


class WeeklyDigest(Construct):
    """Exposes `digest` (PythonFunction), `schedule` and `notes_schedule` (each None when off)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        notifier: NotifierService,
        alarms: Mapping[str, cloudwatch.IAlarm],
        table: dynamodb.ITable,
    ) -> None:
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
        self.digest.allow(ALARM_HISTORY_ACTIONS, [alarm.alarm_arn for alarm in alarms.values()])
        self._grant_table(table, notes=config.reader_notes)
        role = scheduler_role(self, self.digest)

        def schedule(
            schedule_id: str, description: str, expression: str, event: dict[str, object], max_event_age: Duration
        ) -> scheduler.Schedule:
            # NOTE: Scheduler's cron runs in the time zone given: UTC, the digest's weeks are UTC weeks.
            # https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
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
        if config.digest_schedule is not None:
            self.schedule = schedule(
                catalog.DIGEST_SCHEDULE_ID,
                "Weekly digest: views, readers and alarms of the week, to every alert channel",
                config.digest_schedule,
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
        read_keys = [catalog.VISITS_ITEM_KEY, catalog.DAY_KEY_PREFIX + "*", catalog.LINK_KEY_PREFIX + "*"]
        read_keys += [catalog.LINK_REGISTRY_KEY] + ([catalog.NOTES_STATE_KEY] if notes else [])
        self.digest.allow(
            TABLE_READ_ACTIONS, [table.table_arn], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": read_keys}}
        )
        if notes:
            only_the_state = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [catalog.NOTES_STATE_KEY]}}
            self.digest.allow(NOTES_WRITE_ACTIONS, [table.table_arn], only_the_state)
