"""One SNS record in, one email out: read the alarm, render it (or forward it raw), send it.

Nothing here knows about Lambda, idempotency or metrics; the handler (app.py) adds those around deliver().
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from functions.notifier.alarm_message import UnreadableAlarmMessageError, parse_alarm_message, text_or_none
from functions.notifier.alert_email import (
    AlertLinks,
    Email,
    RawNotification,
    render_alarm_email,
    render_unreadable_email,
)
from functions.notifier.sender import EmailSender


@dataclass(frozen=True)
class DeliveryReceipt:
    """What was sent for one SNS message; stored by the idempotency layer and returned for a redelivery."""

    sns_message_id: str
    ses_message_id: str
    subject: str
    alarm_name: str | None
    """None when the message could not be read and was forwarded raw."""
    new_state: str | None

    @property
    def forwarded_raw(self) -> bool:
        return self.alarm_name is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def compose(notification: RawNotification, links: AlertLinks) -> tuple[Email, str | None, str | None]:
    """The email for a notification, with the alarm name and new state it is about (None, None if unreadable)."""
    try:
        change = parse_alarm_message(notification.message)
    except UnreadableAlarmMessageError as error:
        return render_unreadable_email(notification, str(error), links), None, None
    try:
        return render_alarm_email(change, links), change.alarm_name, change.new_state.value
    except Exception as error:
        reason = f"the alarm could not be rendered ({type(error).__name__}: {error})"
        return render_unreadable_email(notification, reason, links), None, None


def deliver(notification: RawNotification, sender: EmailSender, links: AlertLinks) -> DeliveryReceipt:
    """Emails one notification; raises AlertDeliveryError if SES does not take it."""
    email, alarm_name, new_state = compose(notification, links)
    ses_message_id = sender.send(email)
    return DeliveryReceipt(
        sns_message_id=notification.message_id,
        ses_message_id=ses_message_id,
        subject=email.subject,
        alarm_name=alarm_name,
        new_state=new_state,
    )
