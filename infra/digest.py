"""The weekly digest's schedule: EventBridge Scheduler invokes the notifier (functions/notifier) with the digest's
event, and the notifier's role may read what the digest reports (the counter's metrics, this stack's alarm history).

Why the notifier and not a function of its own: the digest goes to exactly the channels alarms go to, with the
same secret URLs (read with least privilege, cached per container), the same per-channel idempotency table, the
same dead-letter queue and the same alerting-health alarms on errors and dead letters; a second function would
repeat every one of them and its grants. What it adds to the notifier is two read-only CloudWatch permissions and
one dispatch on the event's `kind` (functions/notifier/app.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common import catalog
from infra.lambda_factory import PythonFunction
from infra.nag import DIGEST_INVOKE_FINDING, suppress, suppress_finding

METRIC_READ_ACTIONS: Final = ("cloudwatch:GetMetricData",)
"""NOTE: GetMetricData supports no resource-level permissions (its resource is `*`); it reads metrics only.
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"""
ALARM_HISTORY_ACTIONS: Final = ("cloudwatch:DescribeAlarmHistory",)
"""Scoped to this stack's alarms: the digest asks for one alarm at a time (AlarmName), and the action takes the
alarm as its resource. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"""
SCHEDULER_RETRY_ATTEMPTS: Final = 2
"""Scheduler's own retries when the invocation itself fails (throttled, the function missing); a failure inside the
function is Lambda's to retry (the notifier's async-invoke config), since Scheduler invokes it asynchronously."""
SCHEDULER_MAX_EVENT_AGE: Final = Duration.hours(6)
"""A digest that could not be handed to Lambda for 6 hours goes to the dead-letter queue, as an alert would."""
METRIC_READ_REASON: Final = "digest-metric-read"


class WeeklyDigest(Construct):
    """Exposes `schedule`. NOTE: Scheduler's cron runs in the time zone given (UTC here, the digest's weeks are UTC
    weeks) and invokes a Lambda target asynchronously (InvocationType Event) through a role CDK creates with
    lambda:InvokeFunction on this function only.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html"""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule_expression: str,
        notifier: PythonFunction,
        dead_letter_queue: sqs.IQueue,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self._grant_reads(notifier, alarms)
        self.schedule = scheduler.Schedule(
            self,
            catalog.DIGEST_SCHEDULE_ID,
            description="Weekly digest: views, unique visitors and alarms of the week, to every alert channel",
            schedule=scheduler.ScheduleExpression.expression(schedule_expression, TimeZone.ETC_UTC),
            target=targets.LambdaInvoke(
                notifier.function,
                input=scheduler.ScheduleTargetInput.from_object(digest_event()),
                dead_letter_queue=dead_letter_queue,
                retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
                max_event_age=SCHEDULER_MAX_EVENT_AGE,
                role=self._scheduler_role(notifier.function),
            ),
        )

    def _scheduler_role(self, function: lambda_.IFunction) -> iam.Role:
        """The role Scheduler assumes to invoke the notifier; LambdaInvoke grants it InvokeFunction on it."""
        # NOTE: the trust is limited to schedules of this account (confused-deputy guard Scheduler documents).
        # https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
        principal = iam.ServicePrincipal(
            "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
        )
        role = iam.Role(self, "SchedulerRole", assumed_by=principal)
        default_child = function.node.default_child
        assert isinstance(default_child, lambda_.CfnFunction)
        logical_id = Stack.of(self).get_logical_id(default_child)
        finding = f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]"
        assert finding == DIGEST_INVOKE_FINDING, f"the notifier's logical id changed: acknowledge {finding} in nag.py"
        suppress(role, finding)
        return role

    def _grant_reads(self, notifier: PythonFunction, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        reads = iam.Policy(
            self,
            "DigestReads",
            statements=[
                iam.PolicyStatement(actions=list(METRIC_READ_ACTIONS), resources=["*"]),
                iam.PolicyStatement(actions=list(ALARM_HISTORY_ACTIONS), resources=[a.alarm_arn for a in alarms]),
            ],
        )
        reads.attach_to_role(notifier.role)
        suppress_finding(reads, "AwsSolutions-IAM5[Resource::*]", METRIC_READ_REASON)


def digest_event() -> dict[str, object]:
    """What Scheduler sends: the run's scheduled time filled in (the same on each retry: it keys the deliveries)."""
    return {
        "kind": catalog.DIGEST_EVENT_KIND,
        "scheduled_time": scheduler.ContextAttribute.scheduled_time,
        "so_far": False,
    }
