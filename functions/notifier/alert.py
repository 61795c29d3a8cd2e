"""An alert: what was read from one SNS message (the alarm state change, or why it could not be read), its links,
and how it looks on each channel. An alarm that does not render is forwarded raw, never lost.
NOTE: Powertools' CloudWatchAlarmEvent is the event of an alarm's *Lambda action*, not the JSON an alarm publishes
to SNS, so Powertools' SNSEvent reads the envelope and alarm_message.py the message.
https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatch.html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from aws_lambda_powertools.utilities.data_classes import SNSEvent

from functions.notifier import slack, webhook
from functions.notifier.alarm_message import (
    AlarmStateChange,
    UnreadableAlarmMessageError,
    encodable,
    parse_alarm_message,
    text_or_none,
)
from functions.notifier.alert_email import Email, render_alarm_email, render_unreadable_email
from functions.notifier.presentation import AlertLinks, RawNotification

Rendered = TypeVar("Rendered")
MAX_MESSAGE_CHARS: Final = 256 * 1024  # SNS's own limit: anything longer is not from SNS, and is cut to it


@dataclass(frozen=True)
class Alert:
    notification: RawNotification
    delivery_id: str | None
    """The SNS message id: the same on every redelivery, so it keys idempotency (None: not from SNS)."""
    change: AlarmStateChange | None
    """None when the message is not a CloudWatch alarm notification; `problem` says why."""
    problem: str | None
    links: AlertLinks
    reports: Mapping[str, Any] = field(default_factory=dict)
    """What the enrichment steps did, by step (the throttle guard's outcome), for the receipt."""
    failure: Exception | None = None
    """A step that failed: the alert says so, is delivered, then this fails the invocation (app.py)."""

    def _render(
        self,
        alarm: Callable[[AlarmStateChange, AlertLinks], Rendered],
        unreadable: Callable[[RawNotification, str, AlertLinks], Rendered],
    ) -> Rendered:
        reason = self.problem or "unreadable"
        if self.change is not None:
            try:
                return alarm(self.change, self.links)
            except Exception as error:
                reason = f"the alarm could not be rendered ({type(error).__name__}: {error})"
        return unreadable(self.notification, reason, self.links)

    def email(self) -> Email:
        return self._render(render_alarm_email, render_unreadable_email)

    def slack(self) -> dict[str, Any]:
        return self._render(slack.render_alarm_message, slack.render_unreadable_message)

    def webhook(self) -> dict[str, Any]:
        body = self._render(webhook.alarm_payload, webhook.unreadable_payload)
        return {"version": webhook.PAYLOAD_VERSION, "delivery_id": self.delivery_id, **body}


def alerts_of(event: dict[str, Any], links: AlertLinks) -> list[Alert]:
    """One alert per record; an event that is not SNS-shaped is one alert quoting it whole, never dropped."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        records = [event]
    return [read_alert(record, links) for record in records]


def read_alert(record: Any, links: AlertLinks) -> Alert:
    notification, delivery_id = _notification(record)
    try:
        change: AlarmStateChange | None = parse_alarm_message(notification.message)
        problem = None
    except UnreadableAlarmMessageError as error:
        change, problem = None, str(error)
    except Exception as error:  # whatever a message holds, it is forwarded raw, never lost
        change, problem = None, f"the message could not be read ({type(error).__name__})"
    return Alert(notification=notification, delivery_id=delivery_id, change=change, problem=problem, links=links)


def _notification(record: Any) -> tuple[RawNotification, str | None]:
    """The SNS envelope of one record and its message id (None for a record not from SNS). Lambda parsed the event
    from JSON, so any part of it quotes back as JSON."""
    if not isinstance(record, dict) or not isinstance(record.get("Sns"), dict):
        message = _forwardable(json.dumps(record, default=str))
        return RawNotification(message_id="none", topic_arn=None, subject=None, timestamp=None, message=message), None
    sns = SNSEvent({"Records": [record]}).record.sns
    raw = sns.get("Message")
    message_id = sns.get("MessageId")
    delivery_id = encodable(message_id) if isinstance(message_id, str) and message_id else None
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    notification = RawNotification(
        message_id=delivery_id or "none",
        topic_arn=_optional_text(sns.get("TopicArn")),
        subject=_optional_text(sns.get("Subject")),
        timestamp=_optional_text(sns.get("Timestamp")),
        message=_forwardable(text),
    )
    return notification, delivery_id


def _forwardable(text: str) -> str:
    """What every channel can carry: encodable, and no longer than an SNS message can be."""
    return encodable(text[:MAX_MESSAGE_CHARS])


def _optional_text(value: Any) -> str | None:
    text = text_or_none(value)
    return None if text is None else encodable(text)
