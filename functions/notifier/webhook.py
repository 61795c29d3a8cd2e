"""The generic webhook channel: an alert as one versioned JSON document POSTed to the owner's URL, documented in
docs/alerting.md ("Webhook payload"); a change that could break a receiver bumps PAYLOAD_VERSION.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Final

from functions.common import catalog, http
from functions.notifier import presentation
from functions.notifier.alarm_message import AlarmStateChange
from functions.notifier.channel import USER_AGENT, ChannelReceipt, Message
from functions.notifier.presentation import AlertLinks, RawNotification

PAYLOAD_VERSION: Final = 1
DELIVERY_ID_HEADER: Final = "X-Alert-Delivery-Id"

Payload = dict[str, Any]


def alarm_payload(change: AlarmStateChange, links: AlertLinks) -> Payload:
    return {
        "type": "alarm",
        "title": presentation.alarm_title(change),
        "alarm": {
            "name": change.alarm_name,
            "id": catalog.alarm_id_of(links.stack_name, change.alarm_name, links.alarm_ids),
            "state": change.new_state.value,
            "previous_state": change.old_state.value if change.old_state else None,
            "status": presentation.state_tag(change),
            "summary": presentation.summary(change),
            "reason": change.reason,
            "description": change.description,
            "changed_at": change.changed_at.astimezone(UTC).isoformat() if change.changed_at else None,
            "account_id": change.account_id,
            "region": change.region or links.default_region,
        },
        "unreadable": None,
        "facts": [{"label": label, "value": value} for label, value in presentation.alarm_facts(change)],
        "links": {
            "alarm": links.alarm(change.alarm_name, change.region),
            "dashboard": links.dashboard(change.region),
            "runbook": links.runbook(change.alarm_name),
        },
    }


def unreadable_payload(notification: RawNotification, problem: str, links: AlertLinks) -> Payload:
    return {
        "type": "unreadable",
        "title": presentation.UNREADABLE_SUBJECT,
        "alarm": None,
        "unreadable": {
            "problem": problem,
            "message": notification.message[: presentation.MAX_RAW_MESSAGE_CHARS],
            "message_truncated": len(notification.message) > presentation.MAX_RAW_MESSAGE_CHARS,
            "sns_subject": notification.subject,
            "topic_arn": notification.topic_arn,
            "published": notification.timestamp,
        },
        "facts": [],
        "links": {
            "alarm": None,
            "dashboard": links.dashboard(None),
            "runbook": links.runbook_section(catalog.UNREADABLE_ALERT_SECTION),
        },
    }


@dataclass(frozen=True)
class WebhookChannel:
    url: Callable[[], str]
    """Reads the secret URL when a delivery needs it (delivery.py: SSM, cached per container)."""
    timeout_seconds: float = http.TIMEOUT_SECONDS
    name: str = catalog.WEBHOOK_CHANNEL

    def deliver(self, message: Message) -> ChannelReceipt:
        headers = {DELIVERY_ID_HEADER: message.delivery_id} if message.delivery_id else {}
        answer = http.post_json(
            self.name,
            self.url(),
            message.webhook(),
            user_agent=USER_AGENT,
            headers=headers,
            timeout_seconds=self.timeout_seconds,
        )
        return ChannelReceipt(channel=self.name, reference=f"HTTP {answer.status}")
