"""Alerting as CloudFormation will deploy it: every alarm, where it notifies, and the notifier's guarantees."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Match, Template
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.stub import Stubber

from functions.common import catalog
from functions.common.catalog import (
    ALARM_TOPIC_OUTPUT,
    ALERTING_HEALTH_TOPIC_OUTPUT,
    NOTIFIER_DLQ_OUTPUT,
    NOTIFIER_FUNCTION_OUTPUT,
)
from functions.notifier import app as notifier_app
from functions.notifier.alarm_message import parse_alarm_message
from functions.notifier.guard import GuardAction, GuardOutcome, ThrottleLimits
from functions.notifier.presentation import MAX_SUBJECT_CHARS, alarm_title
from functions.notifier.sender import AlertDeliveryError
from infra.alert_topics import INTO_OR_OUT_OF_ALARM
from infra.config import REPO_ROOT, DeploymentConfig
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM, API_REQUEST_SPIKE_ALARM
from infra.monitoring.notifier import ALARM_TOPIC_DELIVERY_ALARM, NOTIFIER_DLQ_ALARM, NOTIFIER_ERRORS_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from infra.notifier import IDEMPOTENCY_TABLE_ACTIONS, NOTIFIER_RETRY_ATTEMPTS
from tests.support import alarm_events
from tests.support.caches import clear_cached_factories
from tests.support.metric_paths import lambdas_on_moto
from tools.local.lambda_runtime.events import LocalLambdaContext
from tools.local.sns import body_matches

RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
PERIOD_SECONDS = 300
NOTIFIER_HANDLER = "functions.notifier.app.lambda_handler"
COUNTER_HANDLER = "functions.counter.app.lambda_handler"


# --- finding resources -------------------------------------------------------------------------------------------


def _one(template: Template, resource_type: str, props: Mapping[str, Any] | None = None) -> str:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
    return next(iter(found))


def _function(template: Template, handler: str) -> str:
    return _one(template, "AWS::Lambda::Function", {"Handler": handler})


def _topic(template: Template, display_name: str) -> str:
    return _one(template, "AWS::SNS::Topic", {"DisplayName": display_name})


def _alarm_topic(template: Template) -> str:
    return _topic(template, "Resume backend alarms")


def _health_topic(template: Template) -> str:
    return _topic(template, "Resume backend alerting health")


def _dead_letter_queue(template: Template) -> str:
    return _one(template, "AWS::SQS::Queue")


def _alarms(template: Template) -> dict[str, Mapping[str, Any]]:
    """Alarm id → properties, for every alarm in the template."""
    alarms = {}
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        name = props["AlarmName"]
        assert name.startswith("ResumeBackend-"), f"{name} is not named <stack>-<alarm id>"
        alarm_id = name.removeprefix("ResumeBackend-")
        alarms[alarm_id] = props
    return alarms


# --- the alarms --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    namespace: str
    metric: str
    statistic: str
    dimensions: dict[str, Any]
    threshold: float
    comparison: str
    missing_data: str
    topic: str
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2
    period_seconds: int = PERIOD_SECONDS


def _expected(template: Template, config: DeploymentConfig) -> dict[str, Expected]:
    t = config.alarm_thresholds
    api = {"ApiId": {"Ref": _one(template, "AWS::ApiGatewayV2::Api")}}
    counter = {"FunctionName": {"Ref": _function(template, COUNTER_HANDLER)}}
    notifier = {"FunctionName": {"Ref": _function(template, NOTIFIER_HANDLER)}}
    usage, health = _alarm_topic(template), _health_topic(template)
    gt, ge = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"
    quiet, keep = "notBreaching", "ignore"
    once = {"evaluation_periods": 1, "datapoints_to_alarm": 1}
    return {
        # One period per probe; fires on the 2nd failed probe in a row; a passing probe publishes nothing.
        SITE_UNAVAILABLE_ALARM: Expected(
            catalog.METRICS_NAMESPACE,
            catalog.PROBE_FAILURES_METRIC,
            "Maximum",
            {catalog.SERVICE_DIMENSION: catalog.PROBE_SERVICE},
            1,
            ge,
            quiet,
            usage,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            period_seconds=config.probe_interval_minutes * 60,
        ),
        API_REQUEST_SPIKE_ALARM: Expected(
            "AWS/ApiGateway", "Count", "Sum", api, t.api_requests_per_5_minutes.value, gt, quiet, usage
        ),
        API_5XX_ALARM: Expected("AWS/ApiGateway", "5xx", "Sum", api, t.api_5xx_per_5_minutes.value, ge, quiet, usage),
        API_P99_LATENCY_ALARM: Expected(
            "AWS/ApiGateway", "Latency", "p99", api, t.api_p99_latency_ms.value, gt, keep, usage
        ),
        COUNTER_THROTTLES_ALARM: Expected(
            "AWS/Lambda", "Throttles", "Sum", counter, t.counter_throttles_per_5_minutes.value, ge, quiet, usage
        ),
        VISIT_STORE_FAILURES_ALARM: Expected(
            catalog.METRICS_NAMESPACE,
            catalog.STORE_FAILURES_METRIC,
            "Sum",
            {catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE},
            t.counter_store_failures_per_5_minutes.value,
            ge,
            quiet,
            usage,
        ),
        NOTIFIER_ERRORS_ALARM: Expected("AWS/Lambda", "Errors", "Sum", notifier, 1, ge, quiet, health, **once),
        NOTIFIER_DLQ_ALARM: Expected(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            {"QueueName": {"Fn::GetAtt": [_dead_letter_queue(template), "QueueName"]}},
            1,
            ge,
            quiet,
            health,
            **once,
        ),
        ALARM_TOPIC_DELIVERY_ALARM: Expected(
            "AWS/SNS",
            "NumberOfNotificationsFailed",
            "Sum",
            {"TopicName": {"Fn::GetAtt": [usage, "TopicName"]}},
            1,
            ge,
            quiet,
            health,
            **once,
        ),
    }


ALARM_IDS = (
    SITE_UNAVAILABLE_ALARM,
    API_REQUEST_SPIKE_ALARM,
    API_5XX_ALARM,
    API_P99_LATENCY_ALARM,
    COUNTER_THROTTLES_ALARM,
    VISIT_STORE_FAILURES_ALARM,
    NOTIFIER_ERRORS_ALARM,
    NOTIFIER_DLQ_ALARM,
    ALARM_TOPIC_DELIVERY_ALARM,
)


def test_every_expected_alarm_exists_and_no_other(template: Template, config: DeploymentConfig) -> None:
    assert sorted(_alarms(template)) == sorted(ALARM_IDS)
    assert sorted(_expected(template, config)) == sorted(ALARM_IDS)


def test_the_default_nine_alarms_read_at_most_nine_metrics_within_the_free_tiers_ten(template: Template) -> None:
    # CloudWatch bills (and its free tier counts) alarm metrics, a metric-math alarm each metric it reads.
    read = sum(
        len([q for q in props.get("Metrics", []) if "MetricStat" in q]) or 1 for props in _alarms(template).values()
    )
    assert len(_alarms(template)) == 9
    assert read <= 9


@pytest.mark.parametrize("alarm_id", ALARM_IDS)
def test_single_metric_alarm_watches_its_metric_with_its_threshold_and_notifies_alarm_and_ok(
    template: Template, config: DeploymentConfig, alarm_id: str
) -> None:
    expected = _expected(template, config)[alarm_id]
    props = _alarms(template)[alarm_id]
    assert (props["Namespace"], props["MetricName"]) == (expected.namespace, expected.metric)
    assert props.get("Statistic", props.get("ExtendedStatistic")) == expected.statistic
    assert {d["Name"]: d["Value"] for d in props.get("Dimensions", [])} == expected.dimensions
    assert props["Period"] == expected.period_seconds
    assert props["Threshold"] == expected.threshold
    assert props["ComparisonOperator"] == expected.comparison
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (
        expected.evaluation_periods,
        expected.datapoints_to_alarm,
    )
    assert props["TreatMissingData"] == expected.missing_data
    assert props["AlarmActions"] == props["OKActions"] == [{"Ref": expected.topic}]
    assert "InsufficientDataActions" not in props


def test_every_alarm_says_what_to_do_and_links_its_runbook_section(
    template: Template, config: DeploymentConfig
) -> None:
    for alarm_id, props in _alarms(template).items():
        description = props["AlarmDescription"]
        runbook = catalog.runbook_url(config.github_repository, config.deploy_branch)
        assert description.endswith(f"Runbook: {runbook}#{alarm_id}")
        assert len(description) > 80, alarm_id
        assert len(description) <= 1024  # CloudWatch's limit


def _guard_failed() -> tuple[str, str]:
    """The longest thing the notifier adds to a subject: the throttle guard's failure to engage."""
    limits = ThrottleLimits(1.0, 1)
    return GuardOutcome(GuardAction.ENGAGE, limits, "GuardError: UpdateStage refused").as_fact()


@pytest.mark.parametrize("alarm_id", ALARM_IDS)
def test_every_alarms_subject_says_what_happened_with_its_figure_and_limit(template: Template, alarm_id: str) -> None:
    # Given a realistic ALARM message of the deployed alarm: its name, description and trigger as CloudWatch sends
    # them, and the latest datapoint well past its threshold
    props = _alarms(template)[alarm_id]
    threshold = float(props["Threshold"])
    latest = threshold * 5 + 2
    statistic = props.get("ExtendedStatistic") or props["Statistic"]
    message = alarm_events.metric_alarm(
        props["AlarmName"],
        namespace=props["Namespace"],
        metric_name=props["MetricName"],
        dimensions={"Resource": "one-of-the-stack"},
        statistic=statistic,
        threshold=threshold,
        comparison=props["ComparisonOperator"],
        period_seconds=props["Period"],
        evaluation_periods=props["EvaluationPeriods"],
        datapoints_to_alarm=props["DatapointsToAlarm"],
        treat_missing_data=props["TreatMissingData"],
        values=(latest, threshold + 1),
        description=props["AlarmDescription"],
    )
    change = parse_alarm_message(json.dumps(message))
    if alarm_id == API_REQUEST_SPIKE_ALARM:  # the notifier says what the guard did (here: the longest case)
        change = replace(change, actions_taken=(_guard_failed(),))
    # When the notifier titles it (the email's subject, Slack's and the webhook's title)
    subject = alarm_title(change)
    # Then it fits an inbox line, names the alarm's own title, the latest figure and the limit, uncut
    title_and_unit = catalog.alarm_title_and_unit(props["AlarmDescription"])
    assert title_and_unit is not None
    title, unit = title_and_unit
    assert len(subject) <= MAX_SUBJECT_CHARS, subject
    assert subject.startswith(f"[ALARM] {title}: {latest:g} {unit}"), subject
    assert f"(limit {threshold:g}" in subject, subject
    assert not subject.endswith("…"), subject


def test_thresholds_follow_config_overrides(synth_with: Any) -> None:
    template = synth_with(
        {
            "config.alarm_thresholds.api_5xx_per_5_minutes": "9",
            "config.alarm_thresholds.counter_throttles_per_5_minutes": "4",
        }
    )
    alarms = _alarms(template)
    assert alarms[API_5XX_ALARM]["Threshold"] == 9
    assert alarms[COUNTER_THROTTLES_ALARM]["Threshold"] == 4


# --- topics ------------------------------------------------------------------------------------------------------


def test_by_default_the_topics_accept_tls_only_and_no_key_is_billed(template: Template) -> None:
    resources = template.to_json()["Resources"]
    template.resource_count_is("AWS::KMS::Key", 0)
    for topic in (_alarm_topic(template), _health_topic(template)):
        assert "KmsMasterKeyId" not in resources[topic]["Properties"]
    denies_plain = [
        statement
        for policy in template.find_resources("AWS::SNS::TopicPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies_plain) == 2


def test_with_alert_topic_kms_both_topics_are_encrypted_with_a_rotated_key_cloudwatch_may_use(
    synth_with: Any,
) -> None:
    template = synth_with({"config.alert_topic_kms": "true"})
    key = _one(template, "AWS::KMS::Key")
    for topic in (_alarm_topic(template), _health_topic(template)):
        assert template.to_json()["Resources"][topic]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Resource": "*",
                            # Only this account's alarms of this stack: no confused deputy.
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": Match.any_value()},
                                "ArnLike": {"aws:SourceArn": Match.any_value()},
                            },
                        }
                    ]
                )
            },
        },
    )
    # And the key's condition is exactly the one that lets only this stack's alarms publish to the topics
    resources = template.to_json()["Resources"]
    key_statements = resources[key]["Properties"]["KeyPolicy"]["Statement"]
    (key_condition,) = [
        s["Condition"] for s in key_statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    topic_conditions = [
        statement["Condition"]
        for policy in template.find_resources("AWS::SNS::TopicPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "AllowThisStacksAlarmsToPublish"
    ]
    assert topic_conditions == [key_condition, key_condition]


@pytest.mark.parametrize("topic_of", [_alarm_topic, _health_topic])
def test_topic_policy_denies_plain_http_and_lets_only_this_stacks_alarms_publish(
    template: Template, config: DeploymentConfig, topic_of: Any
) -> None:
    topic = {"Ref": topic_of(template)}
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [topic],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sns:Publish",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Resource": topic,
                            }
                        ),
                        Match.object_like(
                            {
                                "Action": "sns:Publish",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Resource": topic,
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": config.account},
                                    "ArnLike": {
                                        "aws:SourceArn": {
                                            "Fn::Join": [
                                                "",
                                                [
                                                    "arn:",
                                                    {"Ref": "AWS::Partition"},
                                                    f":cloudwatch:{config.region}:{config.account}:alarm:"
                                                    f"{config.stack_name}-*",
                                                ],
                                            ]
                                        }
                                    },
                                },
                            }
                        ),
                    ]
                )
            },
        },
    )


def test_notifier_is_the_alarm_topics_only_subscriber_with_a_dead_letter_queue(template: Template) -> None:
    subscriptions = template.find_resources(
        "AWS::SNS::Subscription", {"Properties": {"TopicArn": {"Ref": _alarm_topic(template)}}}
    )
    assert [s["Properties"] for s in subscriptions.values()] == [
        {
            "Protocol": "lambda",
            "Endpoint": {"Fn::GetAtt": [_function(template, NOTIFIER_HANDLER), "Arn"]},
            "TopicArn": {"Ref": _alarm_topic(template)},
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [_dead_letter_queue(template), "Arn"]}},
        }
    ]


def test_alerting_health_reaches_every_recipient_by_plain_email_not_through_the_notifier(
    template: Template, config: DeploymentConfig
) -> None:
    subscriptions = template.find_resources(
        "AWS::SNS::Subscription", {"Properties": {"TopicArn": {"Ref": _health_topic(template)}}}
    )
    assert sorted((s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions.values()) == sorted(
        ("email", recipient) for recipient in config.alert_recipients
    )
    # And each gets what needs its owner only: SNS drops a new alarm's first OK (its body filter), and the owner
    # still hears of a change into ALARM and out of it
    policies = {
        (s["Properties"]["FilterPolicyScope"], json.dumps(s["Properties"]["FilterPolicy"]))
        for s in subscriptions.values()
    }
    assert policies == {("MessageBody", json.dumps(INTO_OR_OUT_OF_ALARM))}
    new_alarms_first_ok = {"OldStateValue": "INSUFFICIENT_DATA", "NewStateValue": "OK"}
    assert not body_matches(INTO_OR_OUT_OF_ALARM, new_alarms_first_ok)
    for old, new in (("INSUFFICIENT_DATA", "ALARM"), ("OK", "ALARM"), ("ALARM", "OK"), ("ALARM", "INSUFFICIENT_DATA")):
        assert body_matches(INTO_OR_OUT_OF_ALARM, {"OldStateValue": old, "NewStateValue": new})


# --- the notifier ------------------------------------------------------------------------------------------------


def test_notifier_retries_twice_then_parks_the_event_in_an_encrypted_retained_queue(template: Template) -> None:
    queue = _dead_letter_queue(template)
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": _function(template, NOTIFIER_HANDLER)},
            "MaximumRetryAttempts": NOTIFIER_RETRY_ATTEMPTS,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}},
        },
    )
    assert NOTIFIER_RETRY_ATTEMPTS == 2
    template.has_resource(
        "AWS::SQS::Queue",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 24 * 3600},
        },
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_notifier_environment_names_what_it_needs(template: Template, config: DeploymentConfig) -> None:
    props = template.to_json()["Resources"][_function(template, NOTIFIER_HANDLER)]["Properties"]
    assert props["Environment"]["Variables"] == {
        catalog.SENDER_EMAIL_ENV: config.sender_email,
        catalog.ALERT_RECIPIENTS_ENV: ",".join(config.alert_recipients),
        catalog.IDEMPOTENCY_TABLE_ENV: {"Ref": _idempotency_table(template)},
        catalog.STACK_NAME_ENV: config.stack_name,
        catalog.RUNBOOK_URL_ENV: f"https://github.com/{config.github_repository}/blob/main/docs/runbook.md",
        # Every alarm the stack deploys: the notifier links each to its runbook section, any other to the start.
        catalog.ALARM_IDS_ENV: ",".join(sorted(_alarms(template))),
        # site-unavailable emails quote the probe's latest failed check from its log group.
        catalog.PROBE_LOG_GROUP_ENV: {"Ref": _probe_log_group(template)},
        # the throttle guard: which stage, and the limits it sets on ALARM and restores on OK (infra/guard.py)
        catalog.GUARD_API_ID_ENV: {"Ref": _http_api(template)},
        catalog.GUARD_STAGE_NAME_ENV: "$default",
        catalog.GUARD_RATE_ENV: str(config.guard_rate_per_second),
        catalog.GUARD_BURST_ENV: str(config.guard_burst_requests),
        catalog.NORMAL_RATE_ENV: str(config.api_throttle_rate_per_second),
        catalog.NORMAL_BURST_ENV: str(config.api_throttle_burst_requests),
    }
    assert (props["Runtime"], props["Architectures"], props["TracingConfig"]) == (
        "python3.13",
        ["arm64"],
        {"Mode": "Active"},
    )


def _http_api(template: Template) -> str:
    (api_id,) = template.find_resources("AWS::ApiGatewayV2::Api")
    return str(api_id)


def _probe_log_group(template: Template) -> str:
    probe = template.to_json()["Resources"][_function(template, catalog.PROBE_HANDLER)]
    return str(probe["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def test_notifier_may_read_only_the_probes_log_group(template: Template) -> None:
    logs = [s for s in _notifier_statements(template) if any(a.startswith("logs:") for a in _as_list(s["Action"]))]
    reads = [s for s in logs if "logs:FilterLogEvents" in _as_list(s["Action"])]
    assert reads == [
        {
            "Action": "logs:FilterLogEvents",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [_probe_log_group(template), "Arn"]},
        }
    ]


def _idempotency_table(template: Template) -> str:
    return _one(
        template,
        "AWS::DynamoDB::Table",
        {"KeySchema": [{"AttributeName": catalog.IDEMPOTENCY_KEY_ATTRIBUTE, "KeyType": "HASH"}]},
    )


def test_idempotency_table_expires_records_and_is_kept_like_the_visits_table(template: Template) -> None:
    table = template.to_json()["Resources"][_idempotency_table(template)]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    # Deletion protection would make the rollback of a failed first create fail (infra/stateful.py).
    assert "DeletionProtectionEnabled" not in props
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_sender_identity_is_provisioned(template: Template, config: DeploymentConfig) -> None:
    template.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": config.sender_email})


def _clear_notifier_caches() -> None:
    clear_cached_factories(notifier_app)


def _notifier_statements(template: Template) -> list[Mapping[str, Any]]:
    role = template.to_json()["Resources"][_function(template, NOTIFIER_HANDLER)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": role}]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_notifier_may_send_only_as_the_sender_to_the_recipients(template: Template, config: DeploymentConfig) -> None:
    ses = [s for s in _notifier_statements(template) if any(a.startswith("ses:Send") for a in _as_list(s["Action"]))]
    assert len(ses) == 1
    # SESv2 SendEmail with raw MIME content (what the notifier sends) is authorized as ses:SendRawEmail.
    assert sorted(ses[0]["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    identity = _one(template, "AWS::SES::EmailIdentity")
    prefix = ["arn:", {"Ref": "AWS::Partition"}, f":ses:{config.region}:{config.account}:identity/"]
    # The sender's identity (the stack's, or its domain's while that awaits its click), and (for the SES sandbox,
    # where SES also authorizes recipients) each recipient's identity: the address, or its domain.
    recipient_identities = dict.fromkeys(
        [config.sender_email.split("@")[1], *(i for r in config.alert_recipients for i in (r, r.split("@")[1]))]
    )
    expected = [
        {"Fn::Join": ["", [*prefix, {"Ref": identity}]]},
        *({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f"{prefix[2]}{i}"]]} for i in recipient_identities),
    ]
    assert sorted(map(json.dumps, ses[0]["Resource"])) == sorted(map(json.dumps, expected))
    assert not any("*" in action for s in _notifier_statements(template) for action in _as_list(s["Action"]))
    # And before sending it may read whether SES verified those addresses, that one action (no resource-level
    # permissions exist for it), and no other SES action
    reads = [
        (action, s["Resource"])
        for s in _notifier_statements(template)
        if s not in ses
        for action in _as_list(s["Action"])
        if action.startswith("ses:")
    ]
    assert reads == [("ses:GetIdentityVerificationAttributes", "*")]


def test_notifier_may_call_exactly_the_idempotency_operations_powertools_uses(template: Template) -> None:
    # Given the operations Powertools' DynamoDB persistence layer can call...
    source = inspect.getsource(DynamoDBPersistenceLayer)
    possible = {
        "dynamodb:" + "".join(part.capitalize() for part in name.split("_"))
        for name in re.findall(r"self\.client\.(\w+)\(", source)
    }
    # ...and those the notifier really called on moto: a send, a redelivery and a failed send
    called: set[str] = set()
    with pytest.MonkeyPatch.context() as env, lambdas_on_moto(env):
        # Clients copy their session's event hooks when created: the notifier's clients will record.
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call.dynamodb.*", lambda model, **_: called.add(model.name))
        _clear_notifier_caches()
        try:
            context: Any = LocalLambdaContext(function_name="alarm-notifier")
            event = alarm_events.sns_event(alarm_events.metric_alarm("ResumeBackend-api-5xx-errors"))
            notifier_app.lambda_handler(event, context)
            notifier_app.lambda_handler(event, context)
            email = notifier_app.notifier().deliveries.channels[0]
            with Stubber(email.client) as ses:  # type: ignore[attr-defined]
                ses.add_client_error("send_email", service_error_code="SendingPausedException")
                with pytest.raises(AlertDeliveryError):
                    notifier_app.lambda_handler(alarm_events.sns_event(alarm_events.metric_alarm("x")), context)
        finally:
            _clear_notifier_caches()
            boto3.setup_default_session()
    # Then the grant is exactly what Powertools may call, covers what it did call, on the idempotency table only
    idempotency = [
        s for s in _notifier_statements(template) if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))
    ]
    assert len(idempotency) == 1
    granted = set(_as_list(idempotency[0]["Action"]))
    assert granted == possible == set(IDEMPOTENCY_TABLE_ACTIONS)
    assert {f"dynamodb:{op}" for op in called} <= granted
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= {f"dynamodb:{op}" for op in called}
    assert idempotency[0]["Resource"] == {"Fn::GetAtt": [_idempotency_table(template), "Arn"]}


def test_alerting_outputs_have_fixed_names(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    assert outputs[ALARM_TOPIC_OUTPUT]["Value"] == {"Ref": _alarm_topic(template)}
    assert outputs[ALERTING_HEALTH_TOPIC_OUTPUT]["Value"] == {"Ref": _health_topic(template)}
    assert outputs[NOTIFIER_FUNCTION_OUTPUT]["Value"] == {"Ref": _function(template, NOTIFIER_HANDLER)}
    assert outputs[NOTIFIER_DLQ_OUTPUT]["Value"] == {"Ref": _dead_letter_queue(template)}


# --- the runbook -------------------------------------------------------------------------------------------------


def _github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives headings: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in markdown.splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match[1].lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def test_every_alarm_has_its_runbook_section(template: Template) -> None:
    anchors = _github_anchors(RUNBOOK.read_text())
    missing = [
        alarm_id for alarm_id in (*_alarms(template), catalog.UNREADABLE_ALERT_SECTION) if alarm_id not in anchors
    ]
    assert missing == []


def test_runbook_documents_an_end_to_end_test_alert() -> None:
    text = RUNBOOK.read_text()
    assert "aws cloudwatch set-alarm-state" in text
    assert "--state-value ALARM" in text
    assert "--state-value OK" in text
