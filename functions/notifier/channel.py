"""The port the notifier delivers through: a message (an alert, the weekly digest) knows how it looks in each
channel's format; a channel (email, Slack, a JSON webhook: the adapters beside this module) only transports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol

from functions.notifier.alert_email import Email

USER_AGENT: Final = "resume-backend-alarm-notifier/1"


class ChannelDeliveryError(Exception):
    """A channel did not take the message. The text names the channel and what it answered, never its URL."""


@dataclass(frozen=True)
class ChannelReceipt:
    channel: str
    reference: str
    """What the channel answered: SES's message id, Slack's `ok`, the webhook's HTTP status; or why the channel
    chose not to send (email before SES verified the addresses)."""


class Message(Protocol):
    @property
    def delivery_id(self) -> str | None:
        """The same on every retry and redelivery (the SNS message id, the digest's run): it keys idempotency."""
        ...

    def email(self) -> Email: ...

    def slack(self) -> dict[str, Any]: ...

    def webhook(self) -> dict[str, Any]: ...


class Channel(Protocol):
    @property
    def name(self) -> str:
        """A fixed name (catalog.*_CHANNEL): it keys idempotency records and log fields."""
        ...

    def deliver(self, message: Message) -> ChannelReceipt:
        """Delivers once (retrying blips itself); raises when the channel refuses it."""
        ...
