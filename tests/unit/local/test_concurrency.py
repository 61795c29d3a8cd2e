"""What Lambda refuses before a function runs, locally: an invocation over the function's reserved concurrency
(throttled, counted in Throttles only); and how SNS counts a delivery that Lambda refused (NumberOfNotificationsFailed,
the subscription's dead-letter queue) and one it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stack_model.stack import StackModel
from tests.support.deleted_function import deleted
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.lambda_runtime.runtime import FunctionThrottledError, Invocation, LambdaRuntime
from tools.local.ses import Outbox
from tools.local.sns import SnsFanout, body_matches

PLATFORM = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_DEFAULT_REGION": "us-east-1"}
HANDLER = "tests.unit.local.handlers.first.lambda_handler"


def _template(reserved: int | None = None) -> dict[str, Any]:
    function: dict[str, Any] = {"Handler": HANDLER, "MemorySize": 128, "Timeout": 3}
    if reserved is not None:
        function["ReservedConcurrentExecutions"] = reserved
    return {
        "Resources": {
            "Notifier": {"Type": "AWS::Lambda::Function", "Properties": function},
            "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "NotifierSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "Protocol": "lambda",
                    "TopicArn": {"Ref": "AlarmTopic"},
                    "Endpoint": {"Fn::GetAtt": ["Notifier", "Arn"]},
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}},
                },
            },
            "OwnerSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"Protocol": "email", "TopicArn": {"Ref": "AlarmTopic"}, "Endpoint": "owner@example.com"},
            },
        }
    }


def _points(metrics: MetricStore, namespace: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for point in metrics.series():
        if point.namespace == namespace:
            found.setdefault(point.name, []).append(point.value)
    return found


def test_an_invocation_over_the_reserved_concurrency_is_throttled_and_counted_only_in_throttles(
    tmp_path: Path,
) -> None:
    metrics = MetricStore()
    runtime = LambdaRuntime(
        StackModel.from_template(_template(reserved=1)), platform=PLATFORM, metrics=metrics, logs_dir=tmp_path
    )
    function = runtime.function("Notifier")
    assert function.spec.reserved_concurrency == 1
    throttled: list[Invocation] = []
    # When a second invocation arrives while the first one runs (a reservation of 1)
    first = function.invoke({"meanwhile": lambda: throttled.append(function.invoke({}))})
    # Then the first ran, the second never did: Lambda refused it as throttled
    assert not first.failed
    (second,) = throttled
    assert isinstance(second.error, FunctionThrottledError)
    assert second.response is None
    lambda_metrics = _points(metrics, "AWS/Lambda")
    assert lambda_metrics["Invocations"] == [1]
    assert sorted(lambda_metrics["Throttles"]) == [0, 1]
    assert lambda_metrics["ConcurrentExecutions"] == [1]
    # And once the first is done, the next invocation runs
    assert not function.invoke({}).failed


def test_without_a_reservation_nothing_is_throttled(tmp_path: Path) -> None:
    metrics = MetricStore()
    runtime = LambdaRuntime(
        StackModel.from_template(_template()), platform=PLATFORM, metrics=metrics, logs_dir=tmp_path
    )
    function = runtime.function("Notifier")
    assert function.spec.reserved_concurrency is None
    assert not any(function.invoke({}).failed for _ in range(3))
    assert _points(metrics, "AWS/Lambda")["Throttles"] == [0, 0, 0]


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        sns.create_topic(Name="AlarmTopic")
        sqs.create_queue(QueueName="DeadLetters")
        yield sns, sqs


def test_sns_counts_a_delivery_lambda_refused_as_failed_and_dead_letters_it(
    aws: tuple[Any, Any], tmp_path: Path
) -> None:
    sns, sqs = aws
    model = StackModel.from_template(_template())
    metrics = MetricStore()
    runtime = LambdaRuntime(model, platform=PLATFORM, metrics=metrics, logs_dir=tmp_path)
    fanout = SnsFanout(model, sns=sns, sqs=sqs, runtime=runtime, outbox=Outbox(), metrics=metrics)
    topic_arn = model.source.resolve({"Ref": "AlarmTopic"})
    # Given a delivered notification (the email too)
    fanout.publish(topic_arn, json.dumps({"AlarmName": "a"}), "ALARM: a")
    # When the subscribed function is deleted and another notification is published
    with deleted(runtime.function("Notifier")):
        fanout.publish(topic_arn, json.dumps({"AlarmName": "b"}), "ALARM: b")
    # Then SNS counted one failed delivery on the topic (the Lambda's, not retried) and three delivered
    sns_metrics = _points(metrics, "AWS/SNS")
    assert sns_metrics == {"NumberOfNotificationsDelivered": [1, 1, 1], "NumberOfNotificationsFailed": [1]}
    assert {p.dimensions for p in metrics.series() if p.namespace == "AWS/SNS"} == {(("TopicName", "AlarmTopic"),)}
    # And the refused message is in the subscription's dead-letter queue
    queue_url = sqs.get_queue_url(QueueName="DeadLetters")["QueueUrl"]
    (parked,) = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(json.loads(parked["Body"])["Message"]) == {"AlarmName": "b"}
    assert _points(metrics, "AWS/SQS")["ApproximateNumberOfMessagesVisible"] == [1]


def test_an_email_subscription_gets_only_what_its_body_filter_lets_through(
    aws: tuple[Any, Any], tmp_path: Path
) -> None:
    sns, sqs = aws
    template = _template()
    into_or_out_of_alarm = {"$or": [{"NewStateValue": ["ALARM"]}, {"OldStateValue": ["ALARM"]}]}
    email = template["Resources"]["OwnerSubscription"]["Properties"]
    email |= {"FilterPolicy": into_or_out_of_alarm, "FilterPolicyScope": "MessageBody"}
    model = StackModel.from_template(template)
    metrics, outbox = MetricStore(), _NoSesOutbox()
    runtime = LambdaRuntime(model, platform=PLATFORM, metrics=metrics, logs_dir=tmp_path)
    fanout = SnsFanout(model, sns=sns, sqs=sqs, runtime=runtime, outbox=outbox, metrics=metrics)
    topic_arn = model.source.resolve({"Ref": "AlarmTopic"})
    # When a new alarm's first OK, then an ALARM and its OK are published (CloudWatch's JSON, with its text)
    for old, new in (("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM"), ("ALARM", "OK")):
        body = json.dumps({"AlarmName": "a", "OldStateValue": old, "NewStateValue": new})
        fanout.publish(topic_arn, body, f"{new}: a", email_text=f"{old} to {new}")
    # Then the address got the ALARM and its OK, as email subscribers get them, with SNS's footer
    assert [sent.subject for sent in outbox.emails()] == ["ALARM: a", "OK: a"]
    assert outbox.emails()[0].text.startswith("OK to ALARM\n\n--\nIf you wish to stop receiving notifications")
    # And SNS counted the first one as filtered out
    assert _points(metrics, "AWS/SNS")["NumberOfNotificationsFilteredOut"] == [1]


def test_a_body_filter_the_local_sns_cannot_evaluate_is_refused() -> None:
    with pytest.raises(ValueError, match="only exact strings"):
        body_matches({"NewStateValue": [{"anything-but": "OK"}]}, {"NewStateValue": "ALARM"})


class _NoSesOutbox(Outbox):
    def refresh(self) -> None:  # what SES sent is not this test's
        pass
