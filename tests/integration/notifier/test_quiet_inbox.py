"""What reaches the owner: an alarm that fires and the OK that resolves it, on every channel, and nothing else
(functions/notifier/alarm_memory.py); no email before SES verified the addresses, the other channels regardless
(functions/notifier/sender.py). The real handler on moto, a real HTTP sink for Slack and the webhook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3

from functions.common import catalog
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM
from tests.support import alarm_events
from tests.unit.notifier.conftest import ALARM_IDS, SENDER, STACK_NAME, Channels, Invoke, SentEmail

SentEmails = Callable[[], list[SentEmail]]
API_5XX = catalog.alarm_name(STACK_NAME, API_5XX_ALARM)


def _change(new_state: str, old_state: str, minutes: int, values: tuple[float, ...] = (0.0,)) -> dict[str, Any]:
    """The API 5xx alarm's change `minutes` after the fixed start, as SNS delivers it."""
    message = alarm_events.metric_alarm(
        API_5XX,
        new_state=new_state,
        old_state=old_state,
        values=values,
        changed_at=alarm_events.CHANGED_AT + timedelta(minutes=minutes),
    )
    return alarm_events.sns_event(message, message_id=f"{new_state}-{old_state}-{minutes}")


def _everything_sent(sent_emails: SentEmails, channels: Channels) -> list[str]:
    """Every email subject, Slack text and webhook title, in that order."""
    return [
        *(sent.subject for sent in sent_emails()),
        *(received.json()["text"] for received in channels.slack()),
        *(received.json()["title"] for received in channels.webhook()),
    ]


def test_the_oks_cloudwatch_sends_after_a_deploy_send_nothing(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given a deploy: every new alarm leaves INSUFFICIENT_DATA for OK, and CloudWatch runs its OK action
    for alarm_id in ALARM_IDS:
        message = alarm_events.metric_alarm(
            catalog.alarm_name(STACK_NAME, alarm_id), new_state="OK", old_state="INSUFFICIENT_DATA", values=(0.0,)
        )
        # When SNS delivers each to the notifier
        receipt = invoke(alarm_events.sns_event(message))["receipts"][0]
        # Then its receipt says why it was not sent
        assert receipt["deliveries"] == {}
        assert "the owner was told of no ALARM" in receipt["not_sent"]
    # And nothing reached any channel: no email on SES, no chat post, no webhook
    assert _everything_sent(sent_emails, channels) == []


def test_an_alarm_that_passed_through_insufficient_data_is_resolved(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given an alarm the owner was told of, whose metric then had no data, then was fine again
    invoke(_change("ALARM", "OK", 0, values=(7.0, 6.0)))
    invoke(_change("INSUFFICIENT_DATA", "ALARM", 10))
    invoke(_change("OK", "INSUFFICIENT_DATA", 20))
    # Then the owner got the ALARM and, for the last step, a RESOLVED, on every channel; nothing for the middle one
    subjects = _everything_sent(sent_emails, channels)
    assert [subject.split("]")[0] + "]" for subject in subjects] == ["[ALARM]", "[RESOLVED]"] * 3
    assert "INSUFFICIENT_DATA → OK" in sent_emails()[1].part("plain")
    # And once resolved, the next deploy's INSUFFICIENT_DATA → OK is no news again
    invoke(_change("OK", "INSUFFICIENT_DATA", 60))
    assert len(_everything_sent(sent_emails, channels)) == 6


def test_redelivery_stays_idempotent(invoke: Invoke, channels: Channels, sent_emails: SentEmails) -> None:
    # Given an ALARM and its RESOLVED (through INSUFFICIENT_DATA), each delivered twice by SNS
    alarm, resolved = _change("ALARM", "OK", 0, values=(7.0, 6.0)), _change("OK", "INSUFFICIENT_DATA", 20)
    for event in (alarm, alarm, resolved, resolved):
        invoke(event)
    # Then each went once on each channel
    assert len(sent_emails()) == 2
    assert len(channels.slack()) == len(channels.webhook()) == 2


def test_an_alarm_retried_after_its_ok_does_not_make_the_next_deploy_noisy(
    invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given an ALARM that was resolved, then the ALARM arriving once more, late (a retry from the dead-letter queue)
    invoke(_change("ALARM", "OK", 0, values=(7.0, 6.0)))
    invoke(_change("OK", "ALARM", 20))
    invoke(_change("ALARM", "OK", 0, values=(7.0, 6.0)))
    # When the next deploy's INSUFFICIENT_DATA → OK arrives
    invoke(_change("OK", "INSUFFICIENT_DATA", 60))
    # Then the owner got the ALARM and the RESOLVED once each, nothing more
    assert [sent.subject.split("]")[0] for sent in sent_emails()] == ["[ALARM", "[RESOLVED"]


def test_insufficient_data_is_not_sent(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given alarms losing their data (the stack's alarms have no INSUFFICIENT_DATA action; another alarm might)
    for name, old_state in ((API_5XX, "OK"), (catalog.alarm_name(STACK_NAME, COUNTER_THROTTLES_ALARM), "ALARM")):
        message = alarm_events.metric_alarm(name, new_state="INSUFFICIENT_DATA", old_state=old_state)
        receipt = invoke(alarm_events.sns_event(message))["receipts"][0]
        assert receipt["not_sent"].startswith("INSUFFICIENT_DATA is not news")
    # Then nothing is sent
    assert sent_emails() == []


def test_before_ses_verifies_the_sender_slack_and_the_webhook_still_deliver(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given a first deploy whose sender SES has not verified yet, and Slack and the webhook configured
    boto3.client("sesv2").delete_email_identity(EmailIdentity=SENDER)
    # When an alarm arrives
    receipt = invoke(_change("ALARM", "OK", 0, values=(7.0, 6.0)))["receipts"][0]
    # Then no email, but both chat channels got it, and the invocation did not fail
    assert sent_emails() == []
    assert len(channels.slack()) == len(channels.webhook()) == 1
    assert receipt["deliveries"]["email"] == "not sent: SES identities not verified"
