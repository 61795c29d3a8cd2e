"""The weekly digest: its own Lambda function (functions/digest; why, and what it costs: docs/alerting.md),
scheduled by EventBridge Scheduler. Its role may read what the digest reports (the counter's metrics, this stack's
alarm history) and deliver on the alert channels as the notifier does (NotifierService.deliver_on_channels). Its
failures go to the notifier's dead-letter queue, so `notifier-dead-letters` covers it without an alarm of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction, scheduler_role
from infra.nag import arn_of, suppress_finding
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


class WeeklyDigest(Construct):
    """Exposes `digest` (PythonFunction) and `schedule`. NOTE: Scheduler's cron runs in the time zone given (UTC
    here, the digest's weeks are UTC weeks). https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based"""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        schedule_expression: str,
        notifier: NotifierService,
        alarms: Mapping[str, cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.digest = PythonFunction(
            self,
            "Digest",
            handler=catalog.DIGEST_HANDLER,
            description="Weekly digest: views, unique visitors and alarms of the week, to every alert channel",
            memory_mb=DIGEST_MEMORY_MB,
            timeout=Duration.seconds(
                DIGEST_TIMEOUT.to_seconds() + len(config.alert_channels) * CHANNEL_TIMEOUT_BUDGET.to_seconds()
            ),
            log_retention_days=config.log_retention_days,
            environment={catalog.ALARM_IDS_ENV: ",".join(sorted(alarms))},
        )
        notifier.deliver_on_channels(self.digest)
        dead_letter_queue = notifier.dead_letter_queue
        self.digest.function.configure_async_invoke(
            retry_attempts=NOTIFIER_RETRY_ATTEMPTS,
            max_event_age=NOTIFIER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(dead_letter_queue),
        )
        self._grant_reads(self.digest, list(alarms.values()))
        self.schedule = scheduler.Schedule(
            self,
            catalog.DIGEST_SCHEDULE_ID,
            description="Weekly digest: views, unique visitors and alarms of the week, to every alert channel",
            schedule=scheduler.ScheduleExpression.expression(schedule_expression, TimeZone.ETC_UTC),
            target=targets.LambdaInvoke(
                self.digest.function,
                # The run's scheduled time is the same on each retry: it keys the deliveries.
                input=scheduler.ScheduleTargetInput.from_object(
                    {
                        "kind": catalog.DIGEST_EVENT_KIND,
                        "scheduled_time": scheduler.ContextAttribute.scheduled_time,
                        "so_far": False,
                    }
                ),
                dead_letter_queue=dead_letter_queue,
                retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
                max_event_age=SCHEDULER_MAX_EVENT_AGE,
                role=self._scheduler_role(),
            ),
        )

    def _scheduler_role(self) -> iam.Role:
        role = scheduler_role(self)
        suppress_finding(role, f"AwsSolutions-IAM5[Resource::{arn_of(self.digest.function)}:*]", "digest-invoke")
        return role

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
