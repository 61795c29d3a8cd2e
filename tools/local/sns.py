"""SNS locally: a message published to a topic is stored on the emulator's SNS and delivered to the template's
subscriptions, which moto does not do: a Lambda through the runtime (asynchronously), an email into the outbox.

NOTE: a delivery Lambda refuses (the function gone) is a client-side error: not retried, counted once in
NumberOfNotificationsFailed, sent to the subscription's dead-letter queue:
https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stack_model.stack import StackModel
from stack_model.template import LOCAL_REGION
from tools.local.cloudwatch.alarms import REGION_NAME, StateChange
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
        """CloudWatch's notification of a state change, to the alarm's ALARM or OK actions."""
        if change.new_state == "ALARM":
            actions = change.alarm.declared.alarm_actions
        elif change.new_state == "OK":
            actions = change.alarm.declared.ok_actions
        else:
            actions = ()
        message = json.dumps(change.cloudwatch_message())
        subject = f'{change.new_state}: "{change.alarm.name}" in {REGION_NAME}'[:100]
        for topic_arn in actions:
            self.publish(topic_arn, message, subject, email_text=change.email_text())

    def publish(self, topic_arn: str, message: str, subject: str, email_text: str | None = None) -> None:
        """`email_text`: what email subscriptions get instead of `message` (CloudWatch's text rendering)."""
        message_id = self._sns.publish(TopicArn=topic_arn, Message=message, Subject=subject)["MessageId"]
        for index, subscription in enumerate(self._model.subscriptions):
            if subscription.topic != topic_arn:
                continue
            if subscription.body_filter is not None and not body_matches(subscription.body_filter, json.loads(message)):
                self._metrics.record("AWS/SNS", "NumberOfNotificationsFilteredOut", _topic(topic_arn), 1)
                continue
            delivered = True
            if subscription.protocol == "email":
                footer = _unsubscribe_footer(f"{topic_arn}:local-{index}", subscription.endpoint)
                text = (email_text or message) + footer
                self._outbox.add(SentEmail("sns-email", subject, [subscription.endpoint], text, ""))
            elif subscription.protocol == "lambda":
                assert subscription.function is not None, subscription.endpoint
                event = sns_event(topic_arn, message, subject=subject, message_id=message_id)
                delivered = self._deliver(subscription.function, event, subscription.dead_letter_queue)
            outcome = "NumberOfNotificationsDelivered" if delivered else "NumberOfNotificationsFailed"
            self._metrics.record("AWS/SNS", outcome, _topic(topic_arn), 1)

    def _deliver(self, function_id: str, event: dict[str, Any], dead_letter_queue: str | None) -> bool:
        """False when Lambda refused the invocation (see the NOTE at the top)."""
        function = self._runtime.function(function_id)
        try:
            processed = function.invoke_async(event)
        except LambdaRefusedError:
            if dead_letter_queue is not None:
                self._dead_letter(dead_letter_queue, event["Records"][0]["Sns"])
            return False
        self._outbox.refresh()  # stamps the emails it sent with their time
        if not processed and function.spec.on_failure_queue is not None:
            self._dead_letter(function.spec.on_failure_queue, event)
        return True

    def _dead_letter(self, queue_id: str, event: dict[str, Any]) -> None:
        queue_url = self._sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
        depth = queued_messages(self._sqs, queue_id)
        self._metrics.record("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_id}, depth)


def body_matches(policy: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """SNS's filter policy on a message body, for what the stack's policies use: each key's list of exact strings
    (AND across keys) and "$or" over such policies; anything else is refused rather than guessed.
    https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html"""
    for key, allowed in policy.items():
        if key == "$or":
            if not any(body_matches(option, body) for option in allowed):
                return False
        elif not all(isinstance(value, str) for value in allowed):
            raise ValueError(f"filter policy on {key!r}: only exact strings are emulated locally, not {allowed}")
        elif body.get(key) not in allowed:
            return False
    return True


def _topic(topic_arn: str) -> dict[str, str]:
    return {"TopicName": topic_arn.rsplit(":", 1)[-1]}


def _unsubscribe_footer(subscription_arn: str, endpoint: str) -> str:
    """What SNS appends to every email it sends (as seen in received emails; not documented as text)."""
    return (
        "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below "
        f"to unsubscribe:\nhttps://sns.{LOCAL_REGION}.amazonaws.com/unsubscribe.html?SubscriptionArn={subscription_arn}"
        f"&Endpoint={endpoint}\n\nPlease do not reply directly to this email. If you have any questions or comments "
        "regarding this email, please contact us at https://aws.amazon.com/support"
    )


def queued_messages(sqs: SQSClient, queue_id: str) -> int:
    """The queue's depth as SQS reports it (ApproximateNumberOfMessages)."""
    url = sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
