"""The weekly digest on every channel: the webhook sink (a loopback HTTP server) stands in for Slack and webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.unit.notifier.conftest import Channels, Invoke, SentEmail
from tests.unit.notifier.test_weekly_digest import SCHEDULED, _digest_event, _seed


def test_the_digest_goes_to_every_channel_once(
    invoke_digest: Invoke, channels: Channels, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given last weeks' views counted in the visits table, and Slack and the webhook configured
    _seed()
    # When the schedule's event arrives, then again (Scheduler's or Lambda's retry of the same run)
    first = invoke_digest(_digest_event())
    again = invoke_digest(_digest_event())
    # Then email, Slack and the webhook each got it exactly once
    assert first["digest"] == again["digest"] == "digest:2026-11-30T08:00:00+00:00"
    assert set(first["deliveries"]) == {"email", "slack", "webhook"}
    (sent,) = sent_emails()
    assert sent.subject == "Weekly digest: week of 2026-11-23 — 9 views (-10% vs last week)"
    assert "Busiest day: Wednesday 2026-11-25, 5 views" in sent.part("plain")
    # moto has no DescribeAlarmHistory: the digest says so instead of failing
    assert "Alarm history could not be read" in sent.part("plain")
    (slack,) = channels.slack()
    assert slack.json()["text"] == sent.subject
    (webhook,) = channels.webhook()
    document = webhook.json()
    assert (document["type"], document["version"], document["delivery_id"]) == ("digest", 1, first["digest"])
    assert webhook.headers["X-Alert-Delivery-Id"] == first["digest"]
    assert document["digest"]["last_week"]["views"] == 10
    assert document["digest"]["alarms"] is None
    # A later run is a new digest
    invoke_digest(_digest_event(SCHEDULED + timedelta(days=7)))
    assert len(sent_emails()) == 2
    assert len(channels.slack()) == 2
