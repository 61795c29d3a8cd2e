"""The console's outbox lists what each channel received (email, Slack, webhook); `POST /api/digest` sends the digest
and `POST /api/notes` runs the notes through the system they belong to: the console alone, with the system's parts
replaced by plain values."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, cast

from functions.common import catalog
from tools.local.chat.channels import ChannelMessage
from tools.local.console import Console
from tools.local.ses import Outbox, SentEmail

SLACK_TITLE = "[ALARM] ResumeBackend-api-5xx-errors — 5xx (Sum) was 7 (alarms at ≥ 5)"
DIGEST_TITLE = "Weekly digest: week of 2026-11-30 so far — 6 views (none last week)"


class _EmptyOutbox(Outbox):
    def refresh(self) -> None:  # no SES store in this test: only what was added
        pass


def _console(sent: list[dict[str, Any]]) -> Console:
    outbox = _EmptyOutbox()
    outbox.add(SentEmail("sns-email", "ALARM: notifier-errors", ["owner@example.com"], "plain", ""))
    messages = {
        catalog.SLACK_CHANNEL: [ChannelMessage(catalog.SLACK_CHANNEL, SLACK_TITLE, {"text": SLACK_TITLE}, 1.0)],
        catalog.WEBHOOK_CHANNEL: [
            ChannelMessage(catalog.WEBHOOK_CHANNEL, DIGEST_TITLE, {"type": "digest", "title": DIGEST_TITLE}, 2.0)
        ],
    }

    def send() -> dict[str, Any]:
        sent.append({"run": "digest"})
        return {"ok": True, "digest": "digest:now", "deliveries": {"email": "id"}}

    def send_notes() -> dict[str, Any]:
        sent.append({"run": "notes"})
        return {"ok": True, "note": "notes:now", "deliveries": {"email": "id"}}

    return Console(
        model=cast(Any, None),
        metrics=cast(Any, None),
        evaluator=cast(Any, None),
        outbox=outbox,
        site_origin="http://127.0.0.1:8080",
        api_url="http://127.0.0.1:3001",
        channel_messages=lambda channel: messages[channel],
        send_digest=send,
        send_notes=send_notes,
    )


def test_the_outbox_page_lists_each_channels_deliveries() -> None:
    page = _console([]).route("GET", "/outbox", "", {}, b"").body.decode()
    assert page.index("<h2>Email</h2>") < page.index('<h2 id="slack">Slack</h2>') < page.index('<h2 id="webhook">')
    assert "ALARM: notifier-errors" in page
    assert "[ALARM] ResumeBackend-api-5xx-errors — 5xx (Sum) was 7 (alarms at ≥ 5)" in page
    assert "Weekly digest: week of 2026-11-30 so far" in page


def test_the_channels_api_returns_every_channel() -> None:
    reply = _console([]).route("GET", "/api/channels", "", {}, b"")
    channels = json.loads(reply.body)
    assert sorted(channels) == ["email", "slack", "webhook"]
    assert [sent["subject"] for sent in channels["email"]] == ["ALARM: notifier-errors"]
    assert channels["slack"][0]["title"] == SLACK_TITLE
    assert channels["webhook"][0]["body"]["type"] == "digest"


def test_the_digest_is_sent_on_post_only() -> None:
    sent: list[dict[str, Any]] = []
    console = _console(sent)
    assert console.route("GET", "/api/digest", "", {}, b"").status == 405
    assert sent == []
    reply = console.route("POST", "/api/digest", "", {}, b"")
    assert reply.status == 200
    assert json.loads(reply.body)["digest"] == "digest:now"
    assert sent == [{"run": "digest"}]


def test_the_notes_run_on_post_only_and_not_the_digest() -> None:
    sent: list[dict[str, Any]] = []
    console = _console(sent)
    assert console.route("GET", "/api/notes", "", {}, b"").status == 405
    reply = console.route("POST", "/api/notes", "", {}, b"")
    assert reply.status == 200
    assert json.loads(reply.body)["note"] == "notes:now"
    assert sent == [{"run": "notes"}]


def test_slack_messages_are_previewed_as_slack_shows_them_with_the_json_kept() -> None:
    # Given a Block Kit message as the notifier posts it (header, mrkdwn section and fields, a button)
    body = {
        "text": SLACK_TITLE,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": ":rotating_light: ALARM: 5xx", "emoji": True}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*5xx was 7* &lt;b&gt; <https://r.example/a|runbook>"},
            },
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Threshold*\n≥ 5"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "_local_"}]},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Runbook"},
                        "url": "https://r.example/runbook",
                    }
                ],
            },
        ],
    }
    messages = {catalog.SLACK_CHANNEL: [ChannelMessage(catalog.SLACK_CHANNEL, SLACK_TITLE, body, 1.0)]}
    console = replace(_console([]), channel_messages=lambda channel: messages.get(channel, []))
    # When the outbox page is drawn
    page = console.route("GET", "/outbox", "", {}, b"").body.decode()
    # Then the blocks read as Slack shows them: emoji shortcodes as text, bold, links, escapes kept escaped
    assert "<h3>:rotating_light: ALARM: 5xx</h3>" in page
    assert '<strong>5xx was 7</strong> &lt;b&gt; <a href="https://r.example/a">runbook</a>' in page
    assert "<strong>Threshold</strong><br>≥ 5" in page
    assert "<em>local</em>" in page
    assert '<a class="button" href="https://r.example/runbook">Runbook</a>' in page
    # And the JSON is there, collapsed
    assert "<details><summary>JSON</summary>" in page


def test_webhook_documents_are_pretty_printed_and_open() -> None:
    page = _console([]).route("GET", "/outbox", "", {}, b"").body.decode()
    assert "<details open><summary>JSON</summary><pre>{\n  &#34;type&#34;: &#34;digest&#34;," in page
