"""SNS locally: a message published to a topic (an alarm's JSON, as CloudWatch publishes it) is stored on the
emulator's SNS and delivered to the template's subscriptions, which moto's SNS does not do: a Lambda through the
runtime (asynchronously: retried, then to its on-failure queue), a plain email subscription into the outbox.

NOTE: a delivery to a Lambda is done once Lambda accepts the asynchronous invocation; one Lambda refuses (the function
gone) is a client-side error: not retried, counted once in NumberOfNotificationsFailed, and sent to the
subscription's dead-letter queue: https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stack_model.stack import StackModel
from stack_model.template import LOCAL_REGION
from tools.local.cloudwatch.alarms import StateChange
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.lambda_runtime.events import sns_event
from tools.local.lambda_runtime.runtime import LambdaRefusedError, LambdaRuntime
from tools.local.ses import Outbox, SentEmail

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient


class SnsFanout:
    def __init__(
        self,
        model: StackModel,
        *,
        sns: SNSClient,
        sqs: SQSClient,
        runtime: LambdaRuntime,
        outbox: Outbox,
        metrics: MetricStore,
    ) -> None:
        self._model = model
        self._sns = sns
        self._sqs = sqs
        self._runtime = runtime
        self._outbox = outbox
        self._metrics = metrics

    def alarm_changed(self, change: StateChange) -> None:
        """CloudWatch's notification of a state change, to the alarm's ALARM or OK actions (none for
        INSUFFICIENT_DATA, which the stack sets no action for)."""
        if change.new_state == "ALARM":
            actions = change.alarm.declared.alarm_actions
        elif change.new_state == "OK":
            actions = change.alarm.declared.ok_actions
        else:
            actions = ()
        message = json.dumps(change.cloudwatch_message())
        subject = f'{change.new_state}: "{change.alarm.name}" in {LOCAL_REGION}'[:100]
        for topic_arn in actions:
            self.publish(topic_arn, message, subject)

    def publish(self, topic_arn: str, message: str, subject: str) -> None:
        message_id = self._sns.publish(TopicArn=topic_arn, Message=message, Subject=subject)["MessageId"]
        for subscription in self._model.subscriptions:
            if subscription.topic != topic_arn:
                continue
            delivered = True
            if subscription.protocol == "email":
                self._outbox.add(SentEmail("sns-email", subject, [subscription.endpoint], message, ""))
            elif subscription.protocol == "lambda":
                assert subscription.function is not None, subscription.endpoint
                event = sns_event(topic_arn, message, subject=subject, message_id=message_id)
                delivered = self._deliver(subscription.function, event, subscription.dead_letter_queue)
            outcome = "NumberOfNotificationsDelivered" if delivered else "NumberOfNotificationsFailed"
            self._metrics.record("AWS/SNS", outcome, {"TopicName": topic_arn.rsplit(":", 1)[-1]}, 1)

    def _deliver(self, function_id: str, event: dict[str, Any], dead_letter_queue: str | None) -> bool:
        """False when Lambda refused the invocation (SNS's failed delivery, see the NOTE at the top)."""
        function = self._runtime.function(function_id)
        try:
            processed = function.invoke_async(event)
        except LambdaRefusedError:
            if dead_letter_queue is not None:
                self._dead_letter(dead_letter_queue, event["Records"][0]["Sns"])
            return False
        self._outbox.refresh()  # stamps the emails it sent with the time they were sent
        if not processed and function.spec.on_failure_queue is not None:
            self._dead_letter(function.spec.on_failure_queue, event)
        return True

    def _dead_letter(self, queue_id: str, event: dict[str, Any]) -> None:
        queue_url = self._sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
        depth = queued_messages(self._sqs, queue_id)
        self._metrics.record("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_id}, depth)


def queued_messages(sqs: SQSClient, queue_id: str) -> int:
    """The queue's depth as SQS reports it (ApproximateNumberOfMessages)."""
    url = sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
