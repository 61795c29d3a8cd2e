"""SQS locally: a message sent to a queue of the emulator, and the queue's depth recorded as SQS records it, so the
alarms on a dead-letter or on-failure queue (ApproximateNumberOfMessagesVisible) see it at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.local.metrics import MetricStore

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


def send_to_queue(sqs: SQSClient, metrics: MetricStore, queue_id: str, body: str) -> None:
    """Sends `body` to the queue named `queue_id` (its logical id) and records the queue's depth after it."""
    queue_url = sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    depth = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    metrics.record("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_id}, depth)
