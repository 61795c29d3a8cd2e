"""The local console: alarm states (`/`), the outbox of what each channel received — emails, Slack, the webhook —
(`/outbox`), the dashboard drawn from the synthesized body with live data (`/dashboard`), the same as JSON
(`/api/alarms`, `/api/outbox` for the emails, `/api/channels` per channel), and `POST /api/digest`
(`make digest`: the weekly digest of the week so far, now)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from functions.common import catalog
from functions.common.catalog import EMAIL_CHANNEL, SLACK_CHANNEL, WEBHOOK_CHANNEL
from stack_model.stack import StackModel
from tools.dashboard.render import render_svg
from tools.local.apigateway.gateway import HttpReply
from tools.local.chat.channels import ChannelMessage
from tools.local.cloudwatch.alarms import AlarmDefinition, AlarmEvaluator
from tools.local.cloudwatch.dashboard_data import LiveData
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.ses import Outbox, SentEmail


@dataclass(frozen=True)
class Console:
    model: StackModel
    metrics: MetricStore
    evaluator: AlarmEvaluator
    outbox: Outbox
    site_origin: str
    api_url: str
    channel_messages: Callable[[str], list[ChannelMessage]] = field(default=lambda channel: [])
    send_digest: Callable[[], dict[str, Any]] | None = None

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        if path == "/api/digest":
            return self._digest(method)
        if path == "/api/channels":
            return _json({EMAIL_CHANNEL: [asdict(sent) for sent in self.outbox.emails()], **self._chat()})
        if path == "/api/outbox":
            return _json([asdict(sent) for sent in self.outbox.emails()])
        if path == "/api/alarms":
            return _json([_alarm_summary(alarm) for alarm in self.evaluator.alarms])
        if path == "/outbox":
            chat = self._chat()
            return _html("Outbox", _outbox_html(self.outbox.emails()) + _chat_html(chat))
        if path == "/dashboard.svg":
            return HttpReply(200, {"content-type": "image/svg+xml"}, self.dashboard_svg().encode())
        if path == "/dashboard":
            return _html(
                "Dashboard",
                "<p>Rendered from the synthesized dashboard body with live local data.</p>"
                "<img src='/dashboard.svg' alt='Operations dashboard' style='max-width:100%'>",
            )
        if path == "/":
            return _html("Local resume backend", self._overview_html())
        return HttpReply(404, {"content-type": "text/plain"}, b"not found")

    def _chat(self) -> dict[str, list[dict[str, Any]]]:
        return {
            channel: [asdict(m) for m in self.channel_messages(channel)] for channel in (SLACK_CHANNEL, WEBHOOK_CHANNEL)
        }

    def _digest(self, method: str) -> HttpReply:
        if method != "POST":
            return HttpReply(405, {"content-type": "text/plain", "allow": "POST"}, b"POST to send the digest")
        if self.send_digest is None:
            return HttpReply(404, {"content-type": "text/plain"}, b"no digest on this system")
        try:
            result = self.send_digest()
        except LookupError as error:  # no schedule in the template (digest_schedule null)
            return HttpReply(
                409, {"content-type": "application/json"}, json.dumps({"ok": False, "error": str(error)}).encode()
            )
        return HttpReply(
            200 if result.get("ok") else 502, {"content-type": "application/json"}, json.dumps(result).encode()
        )

    def dashboard_svg(self) -> str:
        """The synthesized dashboard body drawn with this system's live metrics and alarm states."""
        if not self.model.dashboards:
            return "<svg xmlns='http://www.w3.org/2000/svg'><text y='20'>no dashboard in the template</text></svg>"
        dashboard = self.model.dashboards[0]
        data = LiveData(self.metrics, self.evaluator.alarms, self.evaluator.period_scale)
        return render_svg(dashboard.body, data, f"{dashboard.name} (local, live)")

    def _overview_html(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(a.name)}</td><td class='{a.state}'>{a.state}</td>"
            f"<td>{html.escape(a.metric.namespace)}/{html.escape(a.metric.name)} {a.metric.statistic}</td>"
            f"<td>{a.declared.threshold:g}</td></tr>"
            for a in self.evaluator.alarms
        )
        scale = self.evaluator.period_scale
        scaled = "" if scale == 1 else f"<p><strong>Alarm periods scaled by {scale:g}.</strong></p>"
        return (
            f"<p><a href='{self.site_origin}/'>Site</a> · <a href='/outbox'>Outbox</a> · "
            "<a href='/dashboard'>Dashboard</a> · "
            f"<a href='{self.api_url}{catalog.VISITS_PATH}'>API</a></p>{scaled}"
            f"<table><tr><th>Alarm</th><th>State</th><th>Metric</th><th>Threshold</th></tr>{rows}</table>"
        )


def _alarm_summary(alarm: AlarmDefinition) -> dict[str, Any]:
    metric = f"{alarm.metric.namespace}/{alarm.metric.name}"
    return {"name": alarm.name, "state": alarm.state, "metric": metric, "threshold": alarm.declared.threshold}


def _json(value: Any) -> HttpReply:
    return HttpReply(200, {"content-type": "application/json"}, json.dumps(value, default=str).encode())


def _html(title: str, content: str) -> HttpReply:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><meta http-equiv='refresh' content='5'>"
        "<style>body{font:15px system-ui;margin:2rem;max-width:70rem}td,th{padding:.3rem .6rem;text-align:left}"
        ".ALARM{color:#b00020;font-weight:bold}.OK{color:#1b5e20}article{border:1px solid #ccc;margin:1rem 0;"
        "padding:1rem}pre{white-space:pre-wrap}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HttpReply(200, {"content-type": "text/html; charset=utf-8"}, page.encode())


def _outbox_html(emails: list[SentEmail]) -> str:
    if not emails:
        return (
            "<h2>Email</h2><p>No email sent yet. Fire an alarm with the drill, or run make digest (docs/local.md).</p>"
        )
    return "<h2>Email</h2>" + "".join(_email_html(sent) for sent in reversed(emails))


def _chat_html(chat: Mapping[str, list[dict[str, Any]]]) -> str:
    """Slack's and the webhook's messages, newest first: the title, then the JSON as the channel received it."""
    sections = []
    for channel, messages in chat.items():
        items = "".join(
            f"<article class='{channel}'><h3>{html.escape(m['title'])}</h3><p>via {channel}</p>"
            f"<details><summary>JSON</summary><pre>{html.escape(json.dumps(m['body'], indent=2, ensure_ascii=False))}"
            "</pre></details></article>"
            for m in reversed(messages)
        )
        sections.append(f"<h2 id='{channel}'>{channel.capitalize()}</h2>{items or '<p>Nothing received yet.</p>'}")
    return "".join(sections)


def _email_html(sent: SentEmail) -> str:
    html_part = (
        "<details><summary>HTML</summary>"
        f"<iframe sandbox srcdoc='{html.escape(sent.html)}' width='100%' height='400'></iframe></details>"
        if sent.html
        else ""
    )
    return (
        f"<article><h2>{html.escape(sent.subject)}</h2>"
        f"<p>to {html.escape(', '.join(sent.recipients))} via {sent.channel}</p>"
        f"<details open><summary>Text</summary><pre>{html.escape(sent.text)}</pre></details>{html_part}</article>"
    )
