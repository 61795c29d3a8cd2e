"""The weekly digest (functions/digest; why its own function, and what it costs: docs/alerting.md), on an
EventBridge Scheduler cron. It reads the counter's metrics and this stack's alarm history, delivers on the
notifier's channels, and fails to the notifier's dead-letter queue (so `notifier-dead-letters` covers it).
"""

from __future__ import annotations

from collections.abc import Mapping
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
from infra.nag import suppress_finding
from infra.notifier import CHANNEL_TIMEOUT_BUDGET, NOTIFIER_MAX_EVENT_AGE, NOTIFIER_RETRY_ATTEMPTS, NotifierService

DIGEST_MEMORY_MB: Final = 256
DIGEST_TIMEOUT: Final = Duration.seconds(90)
"""Four CloudWatch reads per run plus one per alarm (each at most 3 x (2 + 10) s when CloudWatch is slow, usually
well under a second) and the email's worst case (infra/notifier.py: about 40 s); each other channel adds its budget."""
DIGEST_DESCRIPTION: Final = "Weekly digest: views, unique visitors and alarms of the week, to every alert channel"
SCHEDULER_RETRY_ATTEMPTS: Final = 2
"""Scheduler's retries of a failed invocation (throttled, the function missing); a failure inside the function is
Lambda's to retry (its async-invoke config)."""
SCHEDULER_MAX_EVENT_AGE: Final = Duration.hours(6)
"""A digest that could not be handed to Lambda for 6 hours goes to the dead-letter queue, as an alert would."""


class WeeklyDigest(Construct):
    """Exposes `digest` (PythonFunction) and `schedule`. NOTE: Scheduler's cron runs in the time zone given (UTC
    here: the digest's weeks are UTC weeks). https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based"""

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
            description=DIGEST_DESCRIPTION,
            memory_mb=DIGEST_MEMORY_MB,
            timeout=Duration.seconds(
                DIGEST_TIMEOUT.to_seconds() + len(config.alert_channels) * CHANNEL_TIMEOUT_BUDGET.to_seconds()
            ),
            log_retention_days=config.log_retention_days,
            environment={catalog.ALARM_IDS_ENV: ",".join(sorted(alarms))},
        )
        notifier.deliver_on_channels(self.digest)
        self.digest.function.configure_async_invoke(
            retry_attempts=NOTIFIER_RETRY_ATTEMPTS,
            max_event_age=NOTIFIER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(notifier.dead_letter_queue),
        )
        # NOTE: GetMetricData supports no resource-level permissions; DescribeAlarmHistory takes the alarm (the
        # digest asks for one at a time). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
        reads = iam.Policy(
            self,
            "DigestReads",
            statements=[
                iam.PolicyStatement(actions=["cloudwatch:GetMetricData"], resources=["*"]),
                iam.PolicyStatement(
                    actions=["cloudwatch:DescribeAlarmHistory"], resources=[a.alarm_arn for a in alarms.values()]
                ),
            ],
        )
        reads.attach_to_role(self.digest.role)
        suppress_finding(reads, "AwsSolutions-IAM5[Resource::*]", "digest-metric-read")
        self.schedule = scheduler.Schedule(
            self,
            catalog.DIGEST_SCHEDULE_ID,
            description=DIGEST_DESCRIPTION,
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
                dead_letter_queue=notifier.dead_letter_queue,
                retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
                max_event_age=SCHEDULER_MAX_EVENT_AGE,
                role=scheduler_role(self, self.digest, "digest-invoke"),
            ),
        )
