"""The email channel: an alert rendered as an email (alert_email.py) and sent through SES (v2 SendEmail).
This is the only notifier code that talks to SES.

The message goes as raw MIME (multipart/alternative: text, then HTML) built with the standard library, so the
text part and the HTML part are both in what SES receives, and what tests read back from the emulator.
It takes its SES client as an argument, so tests hand it a moto client or a Stubber and nothing is patched.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.notifier.alert_email import Email
from functions.notifier.channel import ChannelDeliveryError, ChannelReceipt, Message

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client


class AlertDeliveryError(ChannelDeliveryError):
    """SES did not accept the email. The invocation must fail, so Lambda retries and, after its retries,
    the event lands in the dead-letter queue: an alert is never dropped because SES was unavailable."""


@dataclass(frozen=True)
class EmailSender:
    client: SESV2Client
    sender: str
    recipients: tuple[str, ...]

    def send(self, email: Email) -> str:
        """Sends to every recipient at once and returns SES's message id."""
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = email.subject
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        try:
            response = self.client.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": list(self.recipients)},
                Content={"Raw": {"Data": message.as_bytes()}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise AlertDeliveryError(f"SES did not send '{email.subject}': {exc}") from exc
        return response["MessageId"]


@dataclass(frozen=True)
class EmailChannel:
    """Email, always on: from the sender to every recipient, rendered with links (alert_email.py)."""

    sender: EmailSender
    name: str = catalog.EMAIL_CHANNEL

    def deliver(self, message: Message) -> ChannelReceipt:
        return ChannelReceipt(channel=self.name, reference=self.sender.send(message.email()))
