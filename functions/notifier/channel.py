"""The port the notifier's domain delivers through: one alert, many channels, each on its own.

An alert is what was read from one SNS message (the alarm state change, or why it could not be read) with the
links it points to. A channel (email, Slack, a JSON webhook: the adapters beside this module) renders it in its
own format and delivers it. `deliver_everywhere` offers the alert to every channel through `once`, the wrapper
that makes each (message, channel) pair idempotent (app.py: Powertools idempotency), so a channel that fails
neither stops nor repeats the others: its error is collected and raised after every channel had its turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from functions.notifier.alarm_message import AlarmStateChange, UnreadableAlarmMessageError, parse_alarm_message
from functions.notifier.alert_email import AlertLinks, RawNotification
from functions.notifier.digest import Digest

Rendered = TypeVar("Rendered")


class ChannelDeliveryError(Exception):
    """A channel did not take the alert. The text names the channel and what it answered, never its URL."""


@dataclass(frozen=True)
class Alert:
    notification: RawNotification
    delivery_id: str | None
    """The SNS message id: the same on every redelivery, so it keys idempotency (None: not from SNS)."""
    change: AlarmStateChange | None
    """None when the message is not a CloudWatch alarm notification; `problem` says why."""
    problem: str | None
    links: AlertLinks
    digest: Digest | None = None
    """Set for the weekly digest (the schedule's event, not SNS); `change` is then None."""


@dataclass(frozen=True)
class ChannelReceipt:
    channel: str
    reference: str
    """What the channel answered: SES's message id, Slack's `ok`, the webhook's HTTP status."""


class Channel(Protocol):
    @property
    def name(self) -> str:
        """A fixed name (catalog.*_CHANNEL): it keys idempotency records and log fields."""
        ...

    def deliver(self, alert: Alert) -> ChannelReceipt:
        """Delivers once (retrying blips itself); raises ChannelDeliveryError when the channel refuses it."""
        ...


Once = Callable[[Channel, Alert], ChannelReceipt]
"""Delivers an alert on a channel unless that (delivery id, channel) was delivered before."""


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: dict[str, ChannelReceipt]
    failed: dict[str, Exception]


def read_alert(notification: RawNotification, delivery_id: str | None, links: AlertLinks) -> Alert:
    try:
        change: AlarmStateChange | None = parse_alarm_message(notification.message)
        problem = None
    except UnreadableAlarmMessageError as error:
        change, problem = None, str(error)
    return Alert(notification=notification, delivery_id=delivery_id, change=change, problem=problem, links=links)


def digest_alert(digest: Digest, links: AlertLinks) -> Alert:
    """The digest as what channels deliver; its notification (what is forwarded should it not render) is the
    digest's delivery id and time."""
    notification = RawNotification(
        message_id=digest.delivery_id,
        topic_arn=None,
        subject="Weekly digest",
        timestamp=digest.generated_at.isoformat(),
        message=f"weekly digest {digest.delivery_id}",
    )
    return Alert(notification, digest.delivery_id, change=None, problem=None, links=links, digest=digest)


def render(
    alert: Alert,
    alarm: Callable[[AlarmStateChange, AlertLinks], Rendered],
    unreadable: Callable[[RawNotification, str, AlertLinks], Rendered],
    digest: Callable[[Digest, AlertLinks], Rendered] | None = None,
) -> Rendered:
    """The alarm (or digest) rendered by a channel's renderer; forwarded raw when it is unreadable or does not
    render, so an odd value in a message never costs the owner the alert."""
    if alert.digest is not None and digest is not None:
        try:
            return digest(alert.digest, alert.links)
        except Exception as error:
            return unreadable(alert.notification, f"the digest could not be rendered ({error})", alert.links)
    if alert.change is None:
        return unreadable(alert.notification, alert.problem or "unreadable", alert.links)
    try:
        return alarm(alert.change, alert.links)
    except Exception as error:
        reason = f"the alarm could not be rendered ({type(error).__name__}: {error})"
        return unreadable(alert.notification, reason, alert.links)


def deliver_everywhere(alert: Alert, channels: Sequence[Channel], once: Once) -> DeliveryOutcome:
    """Offers the alert to every channel in order; one failing never keeps the alert from the next."""
    delivered: dict[str, ChannelReceipt] = {}
    failed: dict[str, Exception] = {}
    for channel in channels:
        try:
            delivered[channel.name] = once(channel, alert)
        except Exception as error:  # each channel's failure is its own; raised after the others had their turn
            failed[channel.name] = error
    return DeliveryOutcome(delivered=delivered, failed=failed)
