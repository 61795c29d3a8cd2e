"""The notifier's chat and webhook channels locally: one webhook sink (webhook_sink.py) stands in for Slack and the
owner's webhook, configured exactly as on AWS — `alert_channels` names two SecureString parameters (on the
emulator's SSM) that hold the sink's URLs — so what the notifier posts is what the outbox page shows, per channel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from functions.common import catalog
from tools.local.chat.webhook_sink import WebhookSink

SLACK_PARAMETER: Final = "/resume-local/slack-webhook"
WEBHOOK_PARAMETER: Final = "/resume-local/alert-webhook"
CHANNEL_PATHS: Final[Mapping[str, str]] = {
    catalog.SLACK_CHANNEL: "/services/LOCAL/SINK/slack",
    catalog.WEBHOOK_CHANNEL: "/hooks/local-alerts",
}
LOCAL_ALERT_CHANNELS: Final = [
    {"type": catalog.SLACK_CHANNEL, "webhook_url_parameter": SLACK_PARAMETER},
    {"type": catalog.WEBHOOK_CHANNEL, "url_parameter": WEBHOOK_PARAMETER},
]


def with_local_channels(overrides: Mapping[str, str]) -> dict[str, str]:
    """The config overrides with Slack and the webhook configured on the sink, unless the run sets its own."""
    return {"alert_channels": json.dumps(LOCAL_ALERT_CHANNELS), **overrides}


@dataclass(frozen=True)
class ChannelMessage:
    """What one channel received: its title (Slack's `text`, the webhook's `title`) and body."""

    channel: str
    title: str
    body: Any
    at: float


class LocalChannels:
    def __init__(self) -> None:
        self.sink = WebhookSink().start()

    def store_urls(self, ssm: Any) -> None:
        """The sink's URLs as the owner stores theirs: SecureString parameters named in `alert_channels`."""
        for name, channel in ((SLACK_PARAMETER, catalog.SLACK_CHANNEL), (WEBHOOK_PARAMETER, catalog.WEBHOOK_CHANNEL)):
            url = self.sink.url(CHANNEL_PATHS[channel])
            ssm.put_parameter(Name=name, Value=url, Type="SecureString", Overwrite=True)

    def received(self, channel: str) -> list[ChannelMessage]:
        messages = []
        for request in self.sink.at(CHANNEL_PATHS[channel]):
            try:
                body = request.json()
            except ValueError:
                body = request.body.decode("utf-8", "replace")
            title = (body.get("text") or body.get("title") or "") if isinstance(body, dict) else ""
            messages.append(ChannelMessage(channel, str(title), body, request.at))
        return messages

    def stop(self) -> None:
        self.sink.stop()
