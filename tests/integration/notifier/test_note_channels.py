"""A note on every channel: the webhook sink (a loopback HTTP server) stands in for Slack and webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.unit.notifier.conftest import Channels, Invoke, SentEmail
from tests.unit.notifier.test_reader_notes import RUN_13, RUN_14, Readers, _make_link, _run


def test_a_first_open_is_told_exactly_once_on_every_channel(
    invoke_digest: Invoke, channels: Channels, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    readers = Readers()
    # Given a link made with `make link`, a first run that found nothing, and the link's first open at 13:20
    _make_link("acme-2026-12")
    assert _run(invoke_digest, RUN_13) == {"note": None, "deliveries": {}}
    readers.now = RUN_13 + timedelta(minutes=20)
    readers.view(1, link="acme-2026-12")
    # When the next run comes, and Lambda retries that same run
    told = _run(invoke_digest, RUN_14)
    retried = _run(invoke_digest, RUN_14)
    # Then one note went to each channel, naming the link and the hour it was opened in, and nobody who opened it
    assert told["note"] == retried["note"] == "notes:2026-12-07T14:00:00+00:00"
    (sent,) = sent_emails()
    assert sent.subject == "acme-2026-12 was opened for the first time"
    assert "acme-2026-12 was opened for the first time between 13:00 UTC and 14:00 UTC" in sent.part("plain")
    assert "203.0.113" not in sent.part("plain") + sent.part("html")
    (slack,) = channels.slack()
    assert slack.json()["text"] == sent.subject
    (webhook,) = channels.webhook()
    document = webhook.json()
    assert (document["type"], document["version"]) == ("note", 1)
    assert document["note"] == {
        "since": "2026-12-07T13:00:00+00:00",
        "until": "2026-12-07T14:00:00+00:00",
        "first_opens": ["acme-2026-12"],
        "downloads": 0,
    }
