"""One SNS record in: the notification it carries, and the receipt of its deliveries on every channel.

Nothing here knows about Lambda, idempotency or metrics; the handler (app.py) adds those around it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from functions.notifier.alarm_message import text_or_none
from functions.notifier.alert_email import RawNotification
from functions.notifier.channel import Alert, ChannelDeliveryError, DeliveryOutcome


@dataclass(frozen=True)
class DeliveryReceipt:
    """What was delivered for one SNS message, channel by channel; each channel's part is stored by the
    idempotency layer and returned as it was for a redelivery."""

    sns_message_id: str
    alarm_name: str | None
    """None when the message could not be read and was forwarded raw."""
    new_state: str | None
    deliveries: dict[str, str]
    """Channel name → what the channel answered (SES's message id, Slack's `ok`, an HTTP status)."""

    @property
    def forwarded_raw(self) -> bool:
        return self.alarm_name is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sns_message_id(record: Any) -> str | None:
    """The SNS message id of a record (the same on every redelivery), or None for a record not from SNS."""
    sns = record.get("Sns") if isinstance(record, dict) else None
    message_id = sns.get("MessageId") if isinstance(sns, dict) else None
    return message_id if isinstance(message_id, str) and message_id else None


def notification_from_record(record: Any) -> RawNotification:
    """The SNS envelope of one Lambda event record. A record that is not SNS-shaped is kept whole as the
    message, so it is still forwarded rather than dropped."""
    sns = record.get("Sns") if isinstance(record, dict) else None
    if not isinstance(sns, dict):
        return RawNotification(
            message_id="none", topic_arn=None, subject=None, timestamp=None, message=json.dumps(record, default=str)
        )
    message = sns.get("Message")
    return RawNotification(
        message_id=str(sns.get("MessageId", "none")),
        topic_arn=text_or_none(sns.get("TopicArn")),
        subject=text_or_none(sns.get("Subject")),
        timestamp=text_or_none(sns.get("Timestamp")),
        message=message if isinstance(message, str) else json.dumps(message, default=str),
    )


def receipt_of(alert: Alert, outcome: DeliveryOutcome) -> DeliveryReceipt:
    change = alert.change
    return DeliveryReceipt(
        sns_message_id=alert.notification.message_id,
        alarm_name=change.alarm_name if change else None,
        new_state=change.new_state.value if change else None,
        deliveries={name: receipt.reference for name, receipt in outcome.delivered.items()},
    )


class UndeliveredAlertError(ChannelDeliveryError):
    """More than one channel did not take the alert; the text lists each (channel: what it answered)."""


def raise_for_failures(outcome: DeliveryOutcome) -> None:
    """Fails the invocation when a channel failed, after every other channel was delivered: Lambda retries
    it, and only the failed channels send (the others' idempotency records are complete)."""
    failures = list(outcome.failed.values())
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise UndeliveredAlertError("; ".join(f"{type(error).__name__}: {error}" for error in failures))
