"""SNS locally: a message published to a topic is stored on the emulator's SNS and delivered to the topic's
subscriptions from the template — a subscribed Lambda through the local Lambda runtime (asynchronously: retried,
then sent to its on-failure queue), a plain email subscription into the outbox. moto's SNS delivers to neither.

Alarm state changes arrive here as CloudWatch publishes them: its alarm JSON to the alarm's actions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assembly.template import LOCAL_REGION, LocalTemplate, referenced
from infra.local.alarms import StateChange
from infra.local.lambda_events import sns_event
from infra.local.metrics import MetricStore
from infra.local.outbox import Outbox, SentEmail
from infra.local.runtime import LambdaRuntime

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient


class SnsFanout:
    def __init__(
        self,
        template: LocalTemplate,
        *,
        sns: SNSClient,
        sqs: SQSClient,
        runtime: LambdaRuntime,
        outbox: Outbox,
        metrics: MetricStore,
    ) -> None:
        self._template = template
        self._sns = sns
        self._sqs = sqs
        self._runtime = runtime
        self._outbox = outbox
        self._metrics = metrics

    def alarm_changed(self, change: StateChange) -> None:
        """CloudWatch's notification of a state change, to the alarm's ALARM or OK actions (none for
        INSUFFICIENT_DATA, which the stack sets no action for)."""
        if change.new_state == "ALARM":
            actions = change.alarm.alarm_actions
        elif change.new_state == "OK":
            actions = change.alarm.ok_actions
        else:
            actions = []
        message = json.dumps(change.cloudwatch_message())
        subject = f'{change.new_state}: "{change.alarm.name}" in {LOCAL_REGION}'[:100]
        for topic_arn in actions:
            self.publish(topic_arn, message, subject)

    def publish(self, topic_arn: str, message: str, subject: str) -> None:
        message_id = self._sns.publish(TopicArn=topic_arn, Message=message, Subject=subject)["MessageId"]
        for subscription in self._template.of_type("AWS::SNS::Subscription").values():
            props = subscription["Properties"]
            if self._template.resolve(props["TopicArn"]) != topic_arn:
                continue
            if props["Protocol"] == "email":
                recipient = self._template.resolve(props["Endpoint"])
                self._outbox.add(SentEmail("sns-email", subject, [recipient], message, ""))
            elif props["Protocol"] == "lambda":
                function_id = referenced(props["Endpoint"])
                assert function_id is not None, props["Endpoint"]
                self._deliver(function_id, sns_event(topic_arn, message, subject=subject, message_id=message_id))

    def _deliver(self, function_id: str, event: dict[str, Any]) -> None:
        function = self._runtime.function(function_id)
        delivered = function.invoke_async(event)
        self._outbox.refresh()  # stamps the emails it sent with the time they were sent
        if not delivered and function.spec.on_failure_queue is not None:
            self._dead_letter(function.spec.on_failure_queue, event)

    def _dead_letter(self, queue_id: str, event: dict[str, Any]) -> None:
        queue_url = self._sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
        attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        depth = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        self._metrics.record("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_id}, depth)
