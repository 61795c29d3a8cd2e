"""The email channel: a message's email (alert_email.py) sent through SES v2 SendEmail as raw MIME
(multipart/alternative: text, then HTML).

NOTE: a new account's SES is in the sandbox: it sends only from a verified identity to verified recipients
(address or domain) and refuses anything else, which would fail the invocation into the dead-letter queue.
https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html So the channel first asks SES which
addresses are verified, emails the verified recipients only, and with the sender or every recipient unverified
sends nothing, with a warning: the other channels still deliver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.notifier.channel import ChannelDeliveryError, ChannelReceipt, Message

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

logger = Logger(service=catalog.NOTIFIER_SERVICE)
SesClient = Any  # boto3's SES (v1) `ses` client: SES v2 has no call that reads many identities' status at once
# NOTE: RFC 5322 limits a line to 998 characters and asks for 78; Python's folding at 78 moves a subject of
# 70-90 ASCII characters whole onto a continuation line, which some mail clients show with a leading space.
# https://www.rfc-editor.org/rfc/rfc5322#section-2.1.1
_MIME_POLICY: Final = SMTP.clone(max_line_length=998)


class AlertDeliveryError(ChannelDeliveryError):
    """SES did not accept the email. The invocation must fail, so Lambda retries and, after its retries,
    the event lands in the dead-letter queue: an alert is never dropped because SES was unavailable."""


def verified_addresses(client: SesClient, addresses: Sequence[str]) -> frozenset[str]:
    """The addresses SES has verified, each by its own identity or its domain's; raises ClientError or
    BotoCoreError when SES does not answer."""
    identities = sorted({*addresses, *(address.rpartition("@")[2] for address in addresses)})
    answer = client.get_identity_verification_attributes(Identities=identities)["VerificationAttributes"]
    good = {identity for identity, value in answer.items() if value.get("VerificationStatus") == "Success"}
    return frozenset(address for address in addresses if {address, address.rpartition("@")[2]} & good)


@dataclass(frozen=True)
class EmailChannel:
    """Email, always on: from the sender to every recipient at once, rendered with links (alert_email.py)."""

    client: SESV2Client
    sender: str
    recipients: tuple[str, ...]
    verification_client: SesClient
    name: str = catalog.EMAIL_CHANNEL

    def _ready(self) -> tuple[str, ...]:
        """The recipients SES can send to now, or none when it cannot send from the sender."""
        try:
            verified = verified_addresses(self.verification_client, (self.sender, *self.recipients))
        except (ClientError, BotoCoreError) as error:  # cannot tell: SES decides, as without the check
            logger.warning("SES verification status unknown; sending", extra={"error": str(error)})
            return self.recipients
        ready = tuple(r for r in self.recipients if r in verified) if self.sender in verified else ()
        unverified = [a for a in (self.sender, *self.recipients) if a not in verified]
        if unverified:
            logger.warning(
                "SES has not verified these addresses: click the link SES mailed to each (docs/deploy.md)",
                extra={"unverified": unverified, "sending_to": list(ready)},
            )
        return ready

    def deliver(self, message: Message) -> ChannelReceipt:
        email = message.email()
        recipients = self._ready()
        if not recipients:
            return ChannelReceipt(channel=self.name, reference="not sent: SES identities not verified")
        mime = EmailMessage(policy=_MIME_POLICY)
        mime["From"] = self.sender
        mime["To"] = ", ".join(recipients)
        mime["Subject"] = email.subject
        # Quoted-printable: 7-bit safe whatever the line lengths, which the policy no longer bounds at 78.
        mime.set_content(email.text, cte="quoted-printable")
        mime.add_alternative(email.html, subtype="html", cte="quoted-printable")
        try:
            response = self.client.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": mime.as_bytes()}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise AlertDeliveryError(f"SES did not send '{email.subject}': {exc}") from exc
        return ChannelReceipt(channel=self.name, reference=response["MessageId"])
