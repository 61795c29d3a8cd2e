"""The Slack channel: an alert as a Block Kit message posted to a Slack incoming webhook.

NOTE: an incoming webhook takes a JSON body with `text` (the notification's fallback) and `blocks`, answers
200 `ok`, or 4xx/5xx with a short error text (`invalid_payload`, `channel_is_archived`, ...), and 429 when more
than about one message a second arrives. https://api.slack.com/messaging/webhooks
Block limits: a header's text ≤ 150 characters, a section's text ≤ 3000, ≤ 10 fields of ≤ 2000 each, a button's
text ≤ 75 and its URL ≤ 3000. https://api.slack.com/reference/block-kit/blocks
mrkdwn text escapes `&`, `<` and `>` (else `<...>` reads as a link). https://api.slack.com/reference/surfaces/formatting#escaping
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from functions.common import catalog, http
from functions.notifier import presentation
from functions.notifier.alarm_message import AlarmStateChange
from functions.notifier.channel import USER_AGENT, ChannelReceipt, Message
from functions.notifier.presentation import AlertLinks, RawNotification

MAX_HEADER_CHARS: Final = 150
MAX_SECTION_CHARS: Final = 3000
MAX_FIELDS: Final = 10
MAX_FIELD_CHARS: Final = 2000
MAX_QUOTED_MESSAGE_CHARS: Final = 2800
"""An unreadable message is quoted up to this, inside one section (with its code fence)."""
_EMOJI: Final = {
    "ALARM": ":rotating_light:",
    "RESOLVED": ":white_check_mark:",
    "OK": ":large_green_circle:",
    "INSUFFICIENT DATA": ":grey_question:",
}


SlackMessage = dict[str, Any]


def render_alarm_message(change: AlarmStateChange, links: AlertLinks) -> SlackMessage:
    tag = presentation.state_tag(change)
    facts = [(label, value) for label, value in presentation.alarm_facts(change) if label != "Reason"]
    blocks: list[dict[str, Any]] = [
        header(f"{_EMOJI[tag]} {presentation.alarm_title(change)}"),
        {"type": "section", "fields": [field(label, value) for label, value in facts[:MAX_FIELDS]]},
        section(f"*Reason*\n{escape(change.reason or 'not given')}"),
    ]
    if change.description:
        what_to_do = catalog.alarm_what_to_do(change.description)
        blocks.append(section(f"*What it means and what to do*\n{escape(what_to_do)}"))
    blocks.append(buttons(presentation.alarm_links(change, links)))
    return {"text": presentation.alarm_title(change), "blocks": blocks}


def render_unreadable_message(notification: RawNotification, problem: str, links: AlertLinks) -> SlackMessage:
    """The message as it arrived (cut to fit one block), and why it could not be read."""
    message, note = presentation.quoted(escape(notification.message), MAX_QUOTED_MESSAGE_CHARS)
    blocks = [
        header(f":warning: {presentation.UNREADABLE_SUBJECT}"),
        section(presentation.UNREADABLE_INTRO),
        {
            "type": "section",
            "fields": [field(label, value) for label, value in presentation.unreadable_facts(notification, problem)],
        },
        section(f"*Message as received*\n```{message}```{note}"),
        buttons(presentation.unreadable_links(links)),
    ]
    return {"text": presentation.UNREADABLE_SUBJECT, "blocks": blocks}


@dataclass(frozen=True)
class SlackChannel:
    webhook_url: Callable[[], str]
    """Reads the secret URL when a delivery needs it (delivery.py: SSM, cached per container)."""
    timeout_seconds: float = http.TIMEOUT_SECONDS
    name: str = catalog.SLACK_CHANNEL

    def deliver(self, message: Message) -> ChannelReceipt:
        answer = http.post_json(
            self.name, self.webhook_url(), message.slack(), user_agent=USER_AGENT, timeout_seconds=self.timeout_seconds
        )
        return ChannelReceipt(channel=self.name, reference=answer.body.strip()[:40] or f"HTTP {answer.status}")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, MAX_HEADER_CHARS), "emoji": True}}


def section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(mrkdwn, MAX_SECTION_CHARS)}}


def field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(f"*{escape(label)}*\n{escape(value)}", MAX_FIELD_CHARS)}


def buttons(links: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "url": url,
                "action_id": f"link-{index}",
            }
            for index, (label, url) in enumerate(links)
        ],
    }
