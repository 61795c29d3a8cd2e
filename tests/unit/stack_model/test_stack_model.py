"""The stack model reads a template shaped like CDK's output: each resource type's fields, references resolved to
local names (logical ids, local ARNs), and how often a schedule runs in a month."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stack_model.schedules import SECONDS_PER_MONTH, rate_seconds, runs_per_month
from stack_model.stack import StackModel
from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION

TOPIC_ARN = f"arn:aws:sns:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:AlarmTopic"


def _resource(kind: str, **props: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": props}


def _function(handler: str, **props: Any) -> dict[str, Any]:
    return _resource("AWS::Lambda::Function", Handler=handler, Runtime="python3.13", **props)


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def test_a_functions_references_resolve_to_local_names() -> None:
    # Given a function whose environment names a table (Ref), a topic (Ref), a region (pseudo parameter) and a
    # joined URL, whose role and log group are references
    template = _template(
        Table=_resource("AWS::DynamoDB::Table", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}]),
        AlarmTopic=_resource("AWS::SNS::Topic"),
        Logs=_resource("AWS::Logs::LogGroup", RetentionInDays=30),
        Counter=_function(
            "functions.counter.app.lambda_handler",
            MemorySize=256,
            Timeout=5,
            Architectures=["arm64"],
            Role={"Fn::GetAtt": ["CounterRole", "Arn"]},
            LoggingConfig={"LogGroup": {"Ref": "Logs"}, "SystemLogLevel": "WARN"},
            ReservedConcurrentExecutions=10,
            Environment={
                "Variables": {
                    "TABLE_NAME": {"Ref": "Table"},
                    "TOPIC": {"Ref": "AlarmTopic"},
                    "REGION": {"Ref": "AWS::Region"},
                    "URL": {"Fn::Join": ["", ["https://", {"Ref": "Table"}, ".example.com/"]]},
                    "LIMIT": "3",
                }
            },
        ),
    )
    # When the model reads it
    model = StackModel.from_template(template)
    # Then the function carries its settings and its environment resolved
    counter = model.function("functions.counter.app.lambda_handler")
    assert counter.environment == {
        "TABLE_NAME": "Table",
        "TOPIC": TOPIC_ARN,
        "REGION": LOCAL_REGION,
        "URL": "https://Table.example.com/",
        "LIMIT": "3",
    }
    assert (counter.memory_mb, counter.timeout_seconds, counter.architecture) == (256, 5.0, "arm64")
    assert (counter.role, counter.log_group, counter.platform_logs) == ("CounterRole", "Logs", False)
    assert (counter.reserved_concurrency, counter.module_name) == (10, "functions.counter.app")
    # And the table its variable names is found by that variable
    assert model.table_named_by("TABLE_NAME") == "Table"
    assert model.log_groups["Logs"].retention_days == 30


def test_a_functions_asynchronous_settings_come_from_its_invoke_config_else_its_dead_letter_queue() -> None:
    template = _template(
        Queue=_resource("AWS::SQS::Queue"),
        Configured=_function("a.app.handler"),
        Config=_resource(
            "AWS::Lambda::EventInvokeConfig",
            FunctionName={"Ref": "Configured"},
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": {"Fn::GetAtt": ["Queue", "Arn"]}}},
        ),
        DeadLettered=_function("b.app.handler", DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Queue", "Arn"]}}),
        Plain=_function("c.app.handler"),
    )
    functions = StackModel.from_template(template).functions
    assert (functions["Configured"].async_retries, functions["Configured"].on_failure_queue) == (0, "Queue")
    assert (functions["DeadLettered"].async_retries, functions["DeadLettered"].on_failure_queue) == (2, "Queue")
    assert (functions["Plain"].async_retries, functions["Plain"].on_failure_queue) == (2, None)
    assert (functions["Plain"].memory_mb, functions["Plain"].timeout_seconds, functions["Plain"].tracing) == (
        128,
        3.0,
        "PassThrough",
    )


def test_a_single_metric_alarm_is_read_with_its_actions_resolved() -> None:
    template = _template(
        AlarmTopic=_resource("AWS::SNS::Topic"),
        Spike=_resource(
            "AWS::CloudWatch::Alarm",
            AlarmName="Stack-api-request-spike",
            Namespace="AWS/ApiGateway",
            MetricName="Count",
            Dimensions=[{"Name": "ApiId", "Value": {"Ref": "Api"}}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=3,
            DatapointsToAlarm=2,
            Threshold=100,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[{"Ref": "AlarmTopic"}],
            OKActions=[{"Ref": "AlarmTopic"}],
        ),
        Latency=_resource("AWS::CloudWatch::Alarm", MetricName="Latency", ExtendedStatistic="p99", Period=10),
    )
    spike, latency = StackModel.from_template(template).alarms
    assert spike.metric is not None
    assert (spike.name, spike.metric.namespace, spike.metric.name) == (
        "Stack-api-request-spike",
        "AWS/ApiGateway",
        "Count",
    )
    assert (spike.metric.dimensions, spike.metric.statistic, spike.metric.period_seconds) == (
        {"ApiId": "Api"},
        "Sum",
        60,
    )
    assert (spike.evaluation_periods, spike.datapoints_to_alarm, spike.threshold) == (3, 2, 100.0)
    assert (spike.comparison, spike.treat_missing_data) == ("GreaterThanThreshold", "notBreaching")
    assert spike.alarm_actions == spike.ok_actions == (TOPIC_ARN,)
    assert spike.metrics_read == 1
    # And an alarm without a name is named by its logical id; datapoints default to its evaluation periods
    assert latency.metric is not None
    assert (latency.name, latency.metric.statistic, latency.metric.period_seconds) == ("Latency", "p99", 10)
    assert latency.datapoints_to_alarm == latency.evaluation_periods
    assert latency.treat_missing_data == "missing"


def test_a_metric_math_alarm_reads_each_metric_its_queries_read() -> None:
    metric = {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": [{"Name": "FunctionName", "Value": "F"}]}
    template = _template(
        Ratio=_resource(
            "AWS::CloudWatch::Alarm",
            Metrics=[
                {"Id": "ratio", "Expression": "errors / invocations", "ReturnData": True},
                {"Id": "errors", "MetricStat": {"Metric": metric, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
                {
                    "Id": "invocations",
                    "MetricStat": {"Metric": {**metric, "MetricName": "Invocations"}, "Period": 300, "Stat": "Sum"},
                    "ReturnData": False,
                },
            ],
            EvaluationPeriods=1,
            Threshold=0.1,
            ComparisonOperator="GreaterThanThreshold",
        )
    )
    (ratio,) = StackModel.from_template(template).alarms
    assert ratio.metric is None
    errors, invocations = ratio.math_metrics
    assert invocations.name == "Invocations"
    assert (errors.name, errors.dimensions, errors.statistic, errors.period_seconds) == (
        "Errors",
        {"FunctionName": "F"},
        "Sum",
        300,
    )
    assert ratio.metrics_read == 2


def test_schedules_are_read_with_their_target_input_and_runs() -> None:
    template = _template(
        Probe=_function("functions.probe.app.lambda_handler"),
        Digest=_function("functions.digest.app.lambda_handler"),
        Every10=_resource(
            "AWS::Scheduler::Schedule",
            ScheduleExpression="rate(10 minutes)",
            Target={"Arn": {"Fn::GetAtt": ["Probe", "Arn"]}, "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}},
        ),
        Weekly=_resource(
            "AWS::Scheduler::Schedule",
            ScheduleExpression="cron(0 8 ? * MON *)",
            Target={"Arn": {"Fn::GetAtt": ["Digest", "Arn"]}, "Input": json.dumps({"kind": "weekly-digest"})},
        ),
        Off=_resource(
            "AWS::Scheduler::Schedule", ScheduleExpression="rate(1 hour)", State="DISABLED", Target={"Arn": "arn:x"}
        ),
    )
    model = StackModel.from_template(template)
    every10, weekly, off = model.schedules
    assert (every10.target, every10.input, every10.interval_seconds, every10.runs_per_month) == (
        "Probe",
        None,
        600,
        4320,
    )
    assert (weekly.target, weekly.input, weekly.interval_seconds) == ("Digest", {"kind": "weekly-digest"}, None)
    assert weekly.runs_per_month == pytest.approx(30 / 7)
    assert (off.enabled, off.target, off.runs_per_month) == (False, None, 0.0)
    assert model.schedules_of("Probe") == (every10,)


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 minute)", 43_200),
        ("rate(10 minutes)", 4_320),
        ("rate(2 hours)", 360),
        ("rate(1 day)", 30),
        ("cron(0 8 ? * MON *)", 30 / 7),
        ("cron(0 8 ? * MON-FRI *)", 5 * 30 / 7),
        ("cron(0/15 * * * ? *)", 4 * 24 * 30),
        ("cron(0 12 1 * ? *)", 1),
        ("at(2030-01-01T00:00:00)", 0),
    ],
)
def test_a_schedule_expression_runs_so_often_in_a_30_day_month(expression: str, runs: float) -> None:
    assert runs_per_month(expression) == pytest.approx(runs)


def test_only_a_rate_has_an_interval_and_a_non_expression_is_refused() -> None:
    assert (rate_seconds("rate(5 minutes)"), rate_seconds("cron(0 8 * * ? *)")) == (300, None)
    assert runs_per_month("rate(1 hour)") == SECONDS_PER_MONTH / 3600
    with pytest.raises(ValueError, match="not a Scheduler expression"):
        runs_per_month("every 5 minutes")


def test_the_http_api_its_stage_routes_and_cors() -> None:
    template = _template(
        Counter=_function("functions.counter.app.lambda_handler"),
        AccessLogs=_resource("AWS::Logs::LogGroup", LogGroupClass="INFREQUENT_ACCESS"),
        Api=_resource(
            "AWS::ApiGatewayV2::Api",
            CorsConfiguration={
                "AllowOrigins": [{"Fn::Join": ["", ["https://main.", {"Fn::GetAtt": ["Site", "DefaultDomain"]}]]}],
                "AllowMethods": ["GET", "POST"],
                "AllowHeaders": ["content-type"],
                "MaxAge": 3600,
            },
        ),
        Integration=_resource(
            "AWS::ApiGatewayV2::Integration", ApiId={"Ref": "Api"}, IntegrationUri={"Fn::GetAtt": ["Counter", "Arn"]}
        ),
        Route=_resource(
            "AWS::ApiGatewayV2::Route",
            ApiId={"Ref": "Api"},
            RouteKey="GET /visits",
            Target={"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]},
        ),
        Stage=_resource(
            "AWS::ApiGatewayV2::Stage",
            StageName="$default",
            DefaultRouteSettings={"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40},
            AccessLogSettings={"DestinationArn": {"Fn::GetAtt": ["AccessLogs", "Arn"]}, "Format": "$context.requestId"},
        ),
    )
    model = StackModel.from_template(template)
    assert model.api is not None
    assert model.api.cors is not None
    assert model.api.cors.allow_origins == ("https://main.Site",)
    assert (model.api.cors.allow_methods, model.api.cors.max_age_seconds) == (("GET", "POST"), 3600)
    assert model.api.integrated_functions == ("Counter",)
    stage = model.stage
    assert stage is not None
    assert (stage.name, stage.throttle_rate_per_second, stage.throttle_burst_requests) == ("$default", 20.0, 40)
    assert (stage.access_log_format, stage.access_log_group) == ("$context.requestId", "AccessLogs")
    assert model.log_groups["AccessLogs"].log_class == "INFREQUENT_ACCESS"


def test_tables_subscriptions_queues_identities_dashboards_and_counts() -> None:
    template = _template(
        Visits=_resource(
            "AWS::DynamoDB::GlobalTable",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            TimeToLiveSpecification={"AttributeName": "expires_at", "Enabled": True},
            Replicas=[
                {"Region": "eu-west-1", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}
            ],
        ),
        Plain=_resource("AWS::DynamoDB::Table"),
        AlarmTopic=_resource("AWS::SNS::Topic"),
        DeadLetters=_resource("AWS::SQS::Queue"),
        Notifier=_function("functions.notifier.app.lambda_handler"),
        ToNotifier=_resource(
            "AWS::SNS::Subscription",
            Protocol="lambda",
            TopicArn={"Ref": "AlarmTopic"},
            Endpoint={"Fn::GetAtt": ["Notifier", "Arn"]},
            RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}},
        ),
        ToOwner=_resource(
            "AWS::SNS::Subscription", Protocol="email", TopicArn={"Ref": "AlarmTopic"}, Endpoint="o@x.org"
        ),
        Sender=_resource("AWS::SES::EmailIdentity", EmailIdentity="alerts@x.org"),
        Board=_resource(
            "AWS::CloudWatch::Dashboard",
            DashboardName="ops",
            DashboardBody={"Fn::Join": ["", ['{"widgets":[{"region":"', {"Ref": "AWS::Region"}, '"}]}']]},
        ),
        Key=_resource("AWS::KMS::Key", EnableKeyRotation=True),
    )
    model = StackModel.from_template(template)
    visits, plain = model.tables.values()
    assert (visits.ttl_attribute, visits.key_schema[0]["AttributeName"]) == ("expires_at", "pk")
    assert (plain.ttl_attribute, plain.global_secondary_indexes) == (None, ())
    to_notifier, to_owner = model.subscriptions
    assert (to_notifier.topic, to_notifier.function, to_notifier.dead_letter_queue) == (
        TOPIC_ARN,
        "Notifier",
        "DeadLetters",
    )
    assert (to_owner.protocol, to_owner.endpoint, to_owner.function) == ("email", "o@x.org", None)
    assert (model.topics, model.queues, model.email_identities) == (
        ("AlarmTopic",),
        ("DeadLetters",),
        ("alerts@x.org",),
    )
    (board,) = model.dashboards
    assert (board.name, board.body) == ("ops", {"widgets": [{"region": LOCAL_REGION}]})
    assert model.kms_keys == {"Key": True}
    assert model.resource_types["AWS::SNS::Subscription"] == 2


def test_a_queues_reference_is_its_local_url() -> None:
    template = _template(
        Queue=_resource("AWS::SQS::Queue"), F=_function("f.app.h", Environment={"Variables": {"Q": {"Ref": "Queue"}}})
    )
    model = StackModel.from_template(template, sqs_endpoint="http://127.0.0.1:4566")
    assert model.functions["F"].environment == {"Q": f"http://127.0.0.1:4566/{LOCAL_ACCOUNT_ID}/Queue"}


def test_a_reference_the_local_system_cannot_resolve_is_refused() -> None:
    template = _template(F=_function("f.app.h", Environment={"Variables": {"X": {"Fn::ImportValue": "other-stack"}}}))
    with pytest.raises(ValueError, match="cannot resolve"):
        StackModel.from_template(template)


def test_a_functions_role_gathers_its_inline_and_attached_policies() -> None:
    statement = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}
    model = StackModel.from_template(
        {
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "Policies": [{"PolicyDocument": {"Statement": [statement]}}],
                        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                    },
                },
                "Grant": {
                    "Type": "AWS::IAM::Policy",
                    "Properties": {
                        "Roles": [{"Ref": "Role"}],
                        "PolicyDocument": {
                            "Statement": [
                                {"Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": "*"},
                                {"Effect": "Deny", "Action": "ses:SendBounce", "Resource": "*", "Condition": {}},
                            ]
                        },
                    },
                },
                "Other": {"Type": "AWS::IAM::Role", "Properties": {}},
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
            }
        }
    )
    role = model.role_of("Fn")
    assert role is not None
    # Its statements from every place the template attaches them, references resolved to local ARNs
    assert {(s.effect, s.actions) for s in role.statements} == {
        ("Allow", ("dynamodb:GetItem",)),
        ("Allow", ("ses:SendEmail", "ses:SendRawEmail")),
        ("Deny", ("ses:SendBounce",)),
    }
    (inline,) = [s for s in role.statements if s.actions == ("dynamodb:GetItem",)]
    assert inline.resources == (f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/Table",)
    assert model.roles["Other"].statements == ()
