"""What in the synthesized template bills by the month or shapes a visit's cost, counted from the template itself:
alarms and the metrics each reads, customer-managed keys, dashboards, functions (memory, architecture, tracing),
schedules and how often they run, the API stage's throttle and access-log format, log groups, budgets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.template import TABLE_TYPES, referenced
from tools.cost.schedules import runs_per_month

HIGH_RESOLUTION_PERIOD_SECONDS: Final = 60
"""NOTE: an alarm on a period under 60 s (10 s or 30 s) is a high-resolution alarm, billed at its own rate."""
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
class AlarmFact:
    logical_id: str
    metrics_read: int
    """A single-metric alarm reads one metric; a metric-math alarm each metric its queries read (each billed)."""
    high_resolution: bool


@dataclass(frozen=True)
class FunctionFact:
    logical_id: str
    handler: str
    memory_mb: int
    architecture: str
    tracing: str
    """TracingConfig.Mode: Active (Lambda samples and records traces itself) or PassThrough (the default)."""
    platform_logs: bool
    """Lambda writes its start and report lines for each invocation: the system log level is INFO (the default)
    or DEBUG, not WARN. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html"""


@dataclass(frozen=True)
class ScheduleFact:
    logical_id: str
    expression: str
    target: str | None
    """The logical id of the function it invokes."""
    runs_per_month: float


@dataclass(frozen=True)
class StackFacts:
    alarms: tuple[AlarmFact, ...]
    composite_alarms: int
    kms_keys: Mapping[str, bool]
    """Customer-managed key → automatic rotation on."""
    dashboards: int
    functions: Mapping[str, FunctionFact]
    schedules: tuple[ScheduleFact, ...]
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

    def function(self, handler: str) -> FunctionFact:
        """The one function whose handler is `handler` (e.g. catalog.COUNTER_HANDLER)."""
        (found,) = [f for f in self.functions.values() if f.handler == handler]
        return found

    def schedules_of(self, function: FunctionFact) -> tuple[ScheduleFact, ...]:
        return tuple(schedule for schedule in self.schedules if schedule.target == function.logical_id)


def stack_facts(template: Mapping[str, Any]) -> StackFacts:
    resources: Mapping[str, Any] = template["Resources"]

    def of(kind: str) -> dict[str, Mapping[str, Any]]:
        return {lid: r.get("Properties", {}) for lid, r in resources.items() if r["Type"] == kind}

    stages = list(of("AWS::ApiGatewayV2::Stage").values())
    route = stages[0].get("DefaultRouteSettings", {}) if stages else {}
    access_log = stages[0].get("AccessLogSettings", {}).get("Format") if stages else None
    return StackFacts(
        alarms=tuple(_alarm(lid, props) for lid, props in of("AWS::CloudWatch::Alarm").items()),
        composite_alarms=len(of("AWS::CloudWatch::CompositeAlarm")),
        kms_keys={lid: bool(props.get("EnableKeyRotation")) for lid, props in of("AWS::KMS::Key").items()},
        dashboards=len(of("AWS::CloudWatch::Dashboard")),
        functions={lid: _function(lid, props) for lid, props in of("AWS::Lambda::Function").items()},
        schedules=tuple(_schedule(lid, props) for lid, props in of("AWS::Scheduler::Schedule").items()),
        throttle_rate_per_second=_number(route.get("ThrottlingRateLimit")),
        throttle_burst_requests=_whole(route.get("ThrottlingBurstLimit")),
        access_log_format=access_log,
        access_log_class=_access_log_class(resources, stages),
        log_groups=len(of("AWS::Logs::LogGroup")),
        log_retention_days=_longest_retention(of("AWS::Logs::LogGroup").values()),
        budgets=len(of("AWS::Budgets::Budget")),
        budget_actions=len(of("AWS::Budgets::BudgetsAction")),
        pitr_tables=tuple(lid for lid, r in resources.items() if r["Type"] in TABLE_TYPES and _pitr(r)),
        unpriced_types=tuple(sorted(t for t in _types(resources) - ACCOUNTED_TYPES if not t.startswith("Custom::"))),
        advanced_parameters=sum(p.get("Tier") == "Advanced" for p in of("AWS::SSM::Parameter").values()),
    )


def _types(resources: Mapping[str, Any]) -> set[str]:
    return {str(resource["Type"]) for resource in resources.values()}


def _alarm(logical_id: str, props: Mapping[str, Any]) -> AlarmFact:
    if "Metrics" in props:
        queries = [query for query in props["Metrics"] if "MetricStat" in query]
        periods = [int(query["MetricStat"].get("Period", 60)) for query in queries]
        return AlarmFact(logical_id, len(queries), any(p < HIGH_RESOLUTION_PERIOD_SECONDS for p in periods))
    period = int(props.get("Period", 60))
    return AlarmFact(logical_id, 1, period < HIGH_RESOLUTION_PERIOD_SECONDS)


def _function(logical_id: str, props: Mapping[str, Any]) -> FunctionFact:
    return FunctionFact(
        logical_id=logical_id,
        handler=str(props.get("Handler", "")),
        memory_mb=int(props.get("MemorySize", 128)),
        architecture=str((props.get("Architectures") or ["x86_64"])[0]),
        tracing=str(props.get("TracingConfig", {}).get("Mode", "PassThrough")),
        platform_logs=props.get("LoggingConfig", {}).get("SystemLogLevel", "INFO") != "WARN",
    )


def _access_log_class(resources: Mapping[str, Any], stages: list[Mapping[str, Any]]) -> str:
    group = referenced(stages[0].get("AccessLogSettings", {}).get("DestinationArn")) if stages else None
    if group is None or group not in resources:
        return "STANDARD"
    return str(resources[group].get("Properties", {}).get("LogGroupClass", "STANDARD"))


def _schedule(logical_id: str, props: Mapping[str, Any]) -> ScheduleFact:
    expression = str(props["ScheduleExpression"])
    enabled = props.get("State", "ENABLED") == "ENABLED"
    runs = runs_per_month(expression) if enabled else 0.0
    return ScheduleFact(logical_id, expression, referenced(props.get("Target", {}).get("Arn")), runs)


def _pitr(resource: Mapping[str, Any]) -> bool:
    props = resource.get("Properties", {})
    specs = [props.get("PointInTimeRecoverySpecification", {})]
    specs += [replica.get("PointInTimeRecoverySpecification", {}) for replica in props.get("Replicas", [])]
    return any(spec.get("PointInTimeRecoveryEnabled") for spec in specs)


def _longest_retention(groups: Iterable[Mapping[str, Any]]) -> int | None:
    days = [group.get("RetentionInDays") for group in groups]
    if not days or None in days:
        return None
    return max(int(str(d)) for d in days)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)
