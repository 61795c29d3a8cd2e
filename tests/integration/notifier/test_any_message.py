"""The notifier never raises on a message: whatever SNS carries (deep, malformed, huge, oddly encoded, the wrong
shape) is delivered on every channel, and a slow Slack that takes a post but answers late gets it once."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

from functions.notifier.alert import read_alert
from functions.notifier.delivery import Deliveries
from functions.notifier.presentation import AlertLinks
from functions.notifier.slack import SlackChannel
from tests.support import alarm_events
from tests.support.scripted_sink import Reply
from tests.unit.notifier.conftest import Channels, Invoke, SentEmail

MESSAGES = 200


def _alarm(**fields: Any) -> dict[str, Any]:
    return {**alarm_events.metric_alarm("resume-api-5xx"), **fields}


def _odd_messages() -> Iterator[dict[str, Any] | str]:
    """The shapes that once reached no channel, then variations of them, deterministically."""
    yield json.dumps(_alarm(AlarmDescription="lone \ud800 surrogate"), ensure_ascii=True)
    yield json.dumps(_alarm(NewStateReason="reason \udfff with a surrogate"), ensure_ascii=True)
    yield json.dumps(_alarm(AlarmName="name\x00with NUL", AlarmDescription="NUL \x00 inside"))
    yield "[" * 10_000 + "]" * 10_000
    yield '{"a":' * 10_000 + "1" + "}" * 10_000
    yield json.dumps(_alarm(AlarmDescription="x" * 300_000))
    yield "x" * 300_000
    yield "not json at all \ud800"
    yield "\x00" * 100
    yield json.dumps(["an", "array"])
    yield json.dumps({"AlarmName": 42, "NewStateValue": "ALARM"})
    yield json.dumps({"AlarmName": "a", "NewStateValue": ["ALARM"]})
    yield json.dumps(_alarm(Trigger="not an object", StateChangeTime=12))
    yield json.dumps(_alarm(TriggeringChildren=[[[["deep"]]]] * 3, AlarmRule=7))
    yield ""
    pieces = ["\ud800", "\x00", "é", "💥", "<b>", "&amp;", "```", "\\", '"', "\u202e", "\n" * 50]
    rng = random.Random(20260)  # a fixed seed: the same 200 messages on every run
    keys = ["AlarmName", "AlarmDescription", "NewStateReason", "NewStateValue", "OldStateValue", "Region"]
    while True:
        fields = {key: "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for key in rng.sample(keys, 3)}
        yield json.dumps(_alarm(**fields), ensure_ascii=rng.random() < 0.5)


def test_200_odd_messages_each_reach_every_channel_and_none_raises(
    invoke: Invoke, channels: Channels, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given email, Slack and the webhook configured, and 200 messages of every odd shape
    messages = [message for _, message in zip(range(MESSAGES), _odd_messages(), strict=False)]
    raised = []
    # When SNS delivers each (its own message id, as SNS gives each)
    for index, message in enumerate(messages):
        try:
            invoke(alarm_events.sns_event(message, message_id=f"odd-{index:03d}", subject="odd"))
        except Exception as error:  # the assertion below names each
            raised.append((index, f"{type(error).__name__}: {error}"[:200]))
    # Then none raised, and every message reached every channel once
    assert raised == []
    assert (len(sent_emails()), len(channels.slack()), len(channels.webhook())) == (MESSAGES, MESSAGES, MESSAGES)


def test_a_slow_slack_that_takes_the_post_gets_one_copy_across_lambdas_retries(
    channels: Channels,
) -> None:
    # Given a Slack that takes each post but answers only after the notifier's timeout
    slack = SlackChannel(webhook_url=lambda: channels.slack_url, timeout_seconds=0.2)
    deliveries = Deliveries([slack])
    channels.sink.answer_next(*[Reply(delay_seconds=1.0)] * 6)
    alert = read_alert(alarm_events.sns_event(alarm_events.metric_alarm("resume-api-5xx"))["Records"][0], _links())
    # When the alert is delivered, and Lambda invokes the notifier twice more with the same event
    outcomes = [deliveries.deliver(alert) for _ in range(3)]
    # Then Slack received at most two copies (here one: a post that may have been taken is not resent)
    assert len(channels.slack()) <= 2
    assert len(channels.slack()) == 1
    # And the invocation did not fail on it: the receipt says the delivery is unconfirmed
    assert all(not outcome.failed for outcome in outcomes)
    assert outcomes[0].delivered["slack"].reference.startswith("unconfirmed")


def _links() -> AlertLinks:
    return AlertLinks.from_environment()
