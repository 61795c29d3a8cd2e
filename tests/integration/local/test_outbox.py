"""The outbox lists every email sent, once each, in the order sent (tools/local/ses.py says how it reads them)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tools.local.emulator import AwsClients, AwsEmulator
from tools.local.ses import Outbox, SentEmail

SENDER = "alerts@example.com"


@pytest.fixture
def emulator() -> Iterator[tuple[AwsEmulator, AwsClients]]:
    emulator = AwsEmulator()
    emulator.start()
    emulator.reset()
    aws = emulator.clients()
    aws.sesv2.create_email_identity(EmailIdentity=SENDER)
    yield emulator, aws
    emulator.stop()


def _send_raw(aws: AwsClients, subject: str) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, SENDER, "owner@example.com"
    message.set_content("the text")
    message.add_alternative("<html><body>the html</body></html>", subtype="html")
    aws.sesv2.send_email(Content={"Raw": {"Data": message.as_bytes()}})


def test_the_outbox_lists_each_email_once_in_the_order_sent(emulator: tuple[AwsEmulator, AwsClients]) -> None:
    _, aws = emulator
    outbox = Outbox()
    # Given an email the notifier sent (raw MIME), then a plain SNS email subscription's
    _send_raw(aws, "[ALARM] first")
    outbox.refresh()
    outbox.add(SentEmail("sns-email", "ALARM: second", ["owner@example.com"], "{}", ""))
    # And another notifier email
    _send_raw(aws, "[RESOLVED] third")
    # When the outbox is read, twice
    outbox.emails()
    emails = outbox.emails()
    # Then each email is there once, in the order sent, with what it said
    assert [(e.sequence, e.channel, e.subject) for e in emails] == [
        (1, "ses", "[ALARM] first"),
        (2, "sns-email", "ALARM: second"),
        (3, "ses", "[RESOLVED] third"),
    ]
    first = emails[0]
    assert first.recipients == ["owner@example.com"]
    assert first.text.strip() == "the text"
    assert "the html" in first.html
