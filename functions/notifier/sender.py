"""The email channel: a message's email (alert_email.py) sent through SES v2 SendEmail as raw MIME
(multipart/alternative: text, then HTML), so both parts are in what SES receives and what tests read back.
The only notifier code that talks to SES; its client is an argument (tests hand in moto's or a Stubber).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.notifier.channel import ChannelDeliveryError, ChannelReceipt, Message

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client


class AlertDeliveryError(ChannelDeliveryError):
    """SES did not accept the email. The invocation must fail, so Lambda retries and, after its retries,
    the event lands in the dead-letter queue: an alert is never dropped because SES was unavailable."""


@dataclass(frozen=True)
class EmailChannel:
    """Email, always on: from the sender to every recipient at once, rendered with links (alert_email.py)."""

    client: SESV2Client
    sender: str
    recipients: tuple[str, ...]
    name: str = catalog.EMAIL_CHANNEL

    def deliver(self, message: Message) -> ChannelReceipt:
        email = message.email()
        mime = EmailMessage(policy=SMTP)
        mime["From"] = self.sender
        mime["To"] = ", ".join(self.recipients)
        mime["Subject"] = email.subject
        mime.set_content(email.text)
        mime.add_alternative(email.html, subtype="html")
        try:
            response = self.client.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": list(self.recipients)},
                Content={"Raw": {"Data": mime.as_bytes()}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise AlertDeliveryError(f"SES did not send '{email.subject}': {exc}") from exc
        return ChannelReceipt(channel=self.name, reference=response["MessageId"])
