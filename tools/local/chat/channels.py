"""The notifier's chat and webhook channels locally: one webhook sink (webhook_sink.py) stands in for Slack and the
owner's webhook, configured exactly as on AWS — `alert_channels` names two SecureString parameters (on the
emulator's SSM) that hold the sink's URLs — so what the notifier posts is what the outbox page shows, per channel.
And the weekly digest on demand (`make digest`): the schedule's own event from the template, sent now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from functions.common import catalog
from stack_model.stack import StackModel
from tools.local.chat.webhook_sink import WebhookSink
from tools.local.lambda_runtime.runtime import LambdaRuntime
from tools.local.ses import Outbox

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
SCHEDULED_TIME_ATTRIBUTE: Final = "<aws.scheduler.scheduled-time>"


def with_local_channels(overrides: Mapping[str, str]) -> dict[str, str]:
    """The config overrides with Slack and the webhook configured on the sink, unless the run sets its own."""
    return {"alert_channels": json.dumps(LOCAL_ALERT_CHANNELS), **overrides}


@dataclass(frozen=True)
class ChannelMessage:
    """What one chat or webhook channel received: its title (Slack's `text`, the webhook's `title`) and body."""

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


def digest_target(model: StackModel) -> tuple[str, dict[str, Any]]:
    """The function the digest's schedule invokes and the event it sends, read from the template."""
    # The digest's is the schedule on a cron; the probe's runs at a rate (tools/local/scheduler.py).
    schedules = [schedule for schedule in model.schedules if schedule.expression.startswith("cron(")]
    if not schedules:
        raise LookupError("the template has no digest schedule (config digest_schedule is null)")
    (schedule, *_) = schedules
    assert schedule.target is not None, f"{schedule.logical_id} targets no function of the template"
    return schedule.target, dict(schedule.input or {})


def send_digest(model: StackModel, runtime: LambdaRuntime, outbox: Outbox) -> dict[str, Any]:
    """The schedule's event with now as its scheduled time and the week so far, through the one local runtime
    (synchronously, so the caller gets the notifier's answer); the email then shows in the outbox."""
    function_id, event = digest_target(model)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    event = {key: now if value == SCHEDULED_TIME_ATTRIBUTE else value for key, value in event.items()}
    event["so_far"] = True
    invocation = runtime.function(function_id).invoke(event)
    outbox.refresh()
    if invocation.error is not None:
        return {"ok": False, "error": f"{type(invocation.error).__name__}: {invocation.error}"}
    return {"ok": True, **invocation.response}
