"""What in the synthesized stack bills by the month or shapes a visit's cost, counted from its model (stack_model/):
alarms and the metrics each reads, customer-managed keys, dashboards, functions (memory, architecture, tracing),
schedules and how often they run, the API stage's throttle and access-log format, log groups, budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.alarms import Alarm
from stack_model.functions import Function
from stack_model.schedules import Schedule
from stack_model.stack import StackModel

ACCOUNTED_TYPES: Final = frozenset(
    {
        # priced by make cost (by the month, or by the usage the probe, the digest and the visits make)
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::CompositeAlarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::KMS::Key",
        "AWS::Lambda::Function",
        "AWS::Scheduler::Schedule",
        "AWS::Logs::LogGroup",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        # no charge at rest (idle topics and queues, roles, permissions, budgets without actions, standard
        # parameters, the sender identity; a custom resource's function runs only when the stack deploys)
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::LayerVersion",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::SES::EmailIdentity",
        "AWS::Budgets::Budget",
        "AWS::SSM::Parameter",
        "AWS::CDK::Metadata",
        "AWS::CloudFormation::CustomResource",
        # the site's hosting: left out, said so in the notes (its cost is the page's bytes, not the counter's)
        "AWS::Amplify::App",
        "AWS::Amplify::Branch",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudFront::Function",
    }
)
"""Resource types make cost accounts for; any other type in the template is listed as not priced."""


@dataclass(frozen=True)
class StackFacts:
    alarms: tuple[Alarm, ...]
    composite_alarms: int
    kms_keys: Mapping[str, bool]
    """Customer-managed key → automatic rotation on."""
    dashboards: int
    functions: Mapping[str, Function]
    schedules: tuple[Schedule, ...]
    throttle_rate_per_second: float | None
    throttle_burst_requests: int | None
    access_log_format: str | None
    access_log_class: str
    """The log group class of the stage's access logs: STANDARD or INFREQUENT_ACCESS (half the ingestion price)."""
    log_groups: int
    log_retention_days: int | None
    """The longest retention of any log group (None: a group keeps its logs forever)."""
    budgets: int
    budget_actions: int
    pitr_tables: tuple[str, ...]
    unpriced_types: tuple[str, ...]
    """Resource types of the template that make cost does not account for (ACCOUNTED_TYPES), e.g. a web ACL."""
    advanced_parameters: int
    """SSM parameters of the Advanced tier (billed by the month; standard ones are free)."""

    @property
    def alarm_metrics(self) -> int:
        return sum(alarm.metrics_read for alarm in self.alarms if not alarm.high_resolution)

    @property
    def high_resolution_alarm_metrics(self) -> int:
        return sum(alarm.metrics_read for alarm in self.alarms if alarm.high_resolution)

    def function(self, handler: str) -> Function:
        """The one function whose handler is `handler` (e.g. catalog.COUNTER_HANDLER)."""
        (found,) = [f for f in self.functions.values() if f.handler == handler]
        return found

    def schedules_of(self, function: Function) -> tuple[Schedule, ...]:
        return tuple(schedule for schedule in self.schedules if schedule.target == function.logical_id)


def stack_facts(template: Mapping[str, Any]) -> StackFacts:
    model = StackModel.from_template(template)
    stage, types = model.stage, model.resource_types
    access_logs = model.log_groups.get(stage.access_log_group or "") if stage else None
    retention = [group.retention_days for group in model.log_groups.values()]
    return StackFacts(
        alarms=model.alarms,
        composite_alarms=types.get("AWS::CloudWatch::CompositeAlarm", 0),
        kms_keys=model.kms_keys,
        dashboards=len(model.dashboards),
        functions=model.functions,
        schedules=model.schedules,
        throttle_rate_per_second=stage.throttle_rate_per_second if stage else None,
        throttle_burst_requests=stage.throttle_burst_requests if stage else None,
        access_log_format=stage.access_log_format if stage else None,
        access_log_class=access_logs.log_class if access_logs else "STANDARD",
        log_groups=len(model.log_groups),
        log_retention_days=None if not retention or None in retention else max(d for d in retention if d is not None),
        budgets=types.get("AWS::Budgets::Budget", 0),
        budget_actions=types.get("AWS::Budgets::BudgetsAction", 0),
        pitr_tables=tuple(lid for lid, table in model.tables.items() if table.point_in_time_recovery),
        unpriced_types=tuple(sorted(t for t in set(types) - ACCOUNTED_TYPES if not t.startswith("Custom::"))),
        advanced_parameters=model.advanced_parameters,
    )
