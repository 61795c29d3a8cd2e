"""The local console: alarm states (`/`), the outbox of what each channel received — emails, Slack, the webhook —
(`/outbox`), the dashboard drawn from the synthesized body with live data (`/dashboard`), the same as JSON
(`/api/alarms`, `/api/channels`), and `POST /api/digest` (`make digest`: the weekly digest so far, now). The pages
are one Jinja2 template, templates/console.html."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import jinja2

from functions.common import catalog
from functions.common.catalog import EMAIL_CHANNEL, SLACK_CHANNEL, WEBHOOK_CHANNEL
from stack_model.stack import StackModel
from tools.dashboard.live import LiveData
from tools.dashboard.render import render_svg
from tools.local.apigateway.gateway import HttpReply
from tools.local.chat.channels import ChannelMessage
from tools.local.cloudwatch.alarms import AlarmDefinition, AlarmEvaluator
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.ses import Outbox

_TEMPLATES: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True, keep_trailing_newline=True
)
_TEMPLATES.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Console:
    model: StackModel
    metrics: MetricStore
    evaluator: AlarmEvaluator
    outbox: Outbox
    site_origin: str
    api_url: str
    channel_messages: Callable[[str], list[ChannelMessage]]
    send_digest: Callable[[], dict[str, Any]]
    function_log: Callable[[str], Path] | None = None
    """A function's local log file, by logical id (the runtime's): the dashboard's Logs Insights widgets read it."""

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        if path == "/api/digest":
            return self._digest(method)
        if path == "/api/channels":
            return _json({EMAIL_CHANNEL: [asdict(sent) for sent in self.outbox.emails()], **self._chat()})
        if path == "/api/alarms":
            return _json([_alarm_summary(alarm) for alarm in self.evaluator.alarms])
        if path == "/dashboard.svg":
            return HttpReply(200, {"content-type": "image/svg+xml"}, self.dashboard_svg().encode())
        if path == "/":
            alarms = [_alarm_summary(alarm) for alarm in self.evaluator.alarms]
            return self._page(
                "overview", "Local resume backend", alarms=alarms, period_scale=self.evaluator.period_scale
            )
        if path == "/outbox":
            chat = {channel: list(reversed(messages)) for channel, messages in self._chat().items()}
            return self._page("outbox", "Outbox", emails=list(reversed(self.outbox.emails())), chat=chat)
        if path == "/dashboard":
            return self._page("dashboard", "Dashboard")
        return HttpReply(404, {"content-type": "text/plain"}, b"not found")

    def _chat(self) -> dict[str, list[dict[str, Any]]]:
        return {
            channel: [asdict(m) for m in self.channel_messages(channel)] for channel in (SLACK_CHANNEL, WEBHOOK_CHANNEL)
        }

    def _digest(self, method: str) -> HttpReply:
        if method != "POST":
            return HttpReply(405, {"content-type": "text/plain", "allow": "POST"}, b"POST to send the digest")
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
        writers = {spec.log_group: function_id for function_id, spec in self.model.functions.items()}
        function_log = self.function_log

        def log_file(log_group: str) -> Path | None:
            writer = writers.get(log_group)
            return function_log(writer) if function_log and writer else None

        data = LiveData(self.metrics, self.evaluator.alarms, self.evaluator.period_scale, log_file)
        return render_svg(dashboard.body, data, f"{dashboard.name} (local, live)")

    def _page(self, page: str, title: str, **values: Any) -> HttpReply:
        html = _TEMPLATES.get_template("console.html").render(
            page=page, title=title, site_origin=self.site_origin, api_url=self.api_url + catalog.VISITS_PATH, **values
        )
        return HttpReply(200, {"content-type": "text/html; charset=utf-8"}, html.encode())


def _alarm_summary(alarm: AlarmDefinition) -> dict[str, Any]:
    metric = f"{alarm.metric.namespace}/{alarm.metric.name}"
    return {
        "name": alarm.name,
        "state": alarm.state,
        "metric": metric,
        "statistic": alarm.metric.statistic,
        "threshold": alarm.declared.threshold,
    }


def _json(value: Any) -> HttpReply:
    return HttpReply(200, {"content-type": "application/json"}, json.dumps(value, default=str).encode())
