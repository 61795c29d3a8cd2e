"""The local console: alarm states (`/`), what each channel received (`/outbox`), the live dashboard (`/dashboard`),
the same as JSON (`/api/alarms`, `/api/channels`), and `POST /api/digest`, `POST /api/notes` (`make digest`, `make
notes`). The pages are one Jinja2 template, templates/console.html."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup

from functions.common import catalog
from functions.common.catalog import EMAIL_CHANNEL, SLACK_CHANNEL, WEBHOOK_CHANNEL
from stack_model.stack import StackModel
from tools.dashboard.live import LiveData
from tools.dashboard.render import render_svg
from tools.local.apigateway.gateway import HttpReply
from tools.local.chat.channels import ChannelMessage
from tools.local.cloudwatch.alarms import AlarmDefinition, AlarmEvaluator, comparison_sign
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.ses import Outbox, SentEmail

_TEMPLATES: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True, keep_trailing_newline=True
)
_TEMPLATES.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
UNITS: Final = {"Count": "requests", "Latency": "ms", "Duration": "ms"}
"""A metric's unit as the console writes a threshold (other metrics count themselves: `≥ 1 Errors`)."""
_MRKDWN: Final = [
    (re.compile(r"```(.*?)```", re.S), r"<pre>\1</pre>"),
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), r"<del>\1</del>"),
]
_SLACK_LINK: Final = re.compile(r"<([^<>|]+)(?:\|([^<>]+))?>")


def mrkdwn(text: str) -> Markup:
    """Slack's mrkdwn as Slack shows it: bold, italic, code, links; `&amp;`-style escapes are already HTML; emoji
    shortcodes stay text. https://api.slack.com/reference/surfaces/formatting"""
    parts, last = [], 0
    for link in _SLACK_LINK.finditer(text):
        parts.append(html.escape(html.unescape(text[last : link.start()]), quote=False))
        url, label = html.unescape(link[1]), html.unescape(link[2] or link[1])
        parts.append(f'<a href="{html.escape(url)}">{html.escape(label, quote=False)}</a>')
        last = link.end()
    parts.append(html.escape(html.unescape(text[last:]), quote=False))
    rendered = "".join(parts)
    for pattern, replacement in _MRKDWN:
        rendered = pattern.sub(replacement, rendered)
    return Markup(rendered.replace("\n", "<br>"))  # noqa: S704 (every text part escaped above)


_TEMPLATES.filters["mrkdwn"] = mrkdwn


def render_page(page: str, title: str, *, refresh: bool = True, **values: Any) -> str:
    """One page of the console's template (the drill writes its outbox with it too)."""
    return _TEMPLATES.get_template("console.html").render(page=page, title=title, refresh=refresh, **values)


def outbox_values(emails: Sequence[SentEmail], chat: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The outbox page's values: newest first."""
    return {
        "emails": list(reversed(emails)),
        "chat": {channel: list(reversed(messages)) for channel, messages in chat.items()},
    }


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
    send_notes: Callable[[], dict[str, Any]]
    function_log: Callable[[str], Path] | None = None  # by logical id: the dashboard's Logs Insights widgets read it

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        if path == "/api/digest":
            return self._run_now(method, "the digest", self.send_digest)
        if path == "/api/notes":
            return self._run_now(method, "the notes", self.send_notes)
        if path == "/api/channels":
            return _json({EMAIL_CHANNEL: [asdict(sent) for sent in self.outbox.emails()], **self._chat()})
        if path == "/api/alarms":
            return _json([self._alarm_summary(alarm) for alarm in self.evaluator.alarms])
        if path == "/dashboard.svg":
            return HttpReply(200, {"content-type": "image/svg+xml"}, self.dashboard_svg().encode())
        if path == "/":
            alarms = [self._alarm_summary(alarm) for alarm in self.evaluator.alarms]
            return self._page(
                "overview", "Local resume backend", alarms=alarms, period_scale=self.evaluator.period_scale
            )
        if path == "/outbox":
            return self._page("outbox", "Outbox", **outbox_values(self.outbox.emails(), self._chat()))
        if path == "/dashboard":
            return self._page("dashboard", "Dashboard")
        return HttpReply(404, {"content-type": "text/plain"}, b"not found")

    def _chat(self) -> dict[str, list[dict[str, Any]]]:
        return {
            channel: [asdict(m) for m in self.channel_messages(channel)] for channel in (SLACK_CHANNEL, WEBHOOK_CHANNEL)
        }

    def _run_now(self, method: str, what: str, run: Callable[[], dict[str, Any]]) -> HttpReply:
        if method != "POST":
            return HttpReply(405, {"content-type": "text/plain", "allow": "POST"}, f"POST to send {what}".encode())
        try:
            result = run()
        except LookupError as error:  # no such schedule in the template (digest_schedule null, reader_notes off)
            return HttpReply(
                409, {"content-type": "application/json"}, json.dumps({"ok": False, "error": str(error)}).encode()
            )
        return HttpReply(
            200 if result.get("ok") else 502, {"content-type": "application/json"}, json.dumps(result).encode()
        )

    def dashboard_svg(self) -> str:
        """The synthesized dashboard body drawn with this system's live metrics and alarm states."""
        (dashboard,) = self.model.dashboards
        writers = {spec.log_group: function_id for function_id, spec in self.model.functions.items()}
        function_log = self.function_log

        def log_file(log_group: str) -> Path | None:
            writer = writers.get(log_group)
            return function_log(writer) if function_log and writer else None

        data = LiveData(self.metrics, self.evaluator.alarms, self.evaluator.period_scale, log_file)
        return render_svg(dashboard.body, data, f"{dashboard.name} (local, live)")

    def _page(self, page: str, title: str, **values: Any) -> HttpReply:
        page_html = render_page(
            page, title, site_origin=self.site_origin, api_url=self.api_url + catalog.VISITS_PATH, **values
        )
        return HttpReply(200, {"content-type": "text/html; charset=utf-8"}, page_html.encode())

    def _alarm_summary(self, alarm: AlarmDefinition) -> dict[str, Any]:
        """What the owner reads of an alarm: its condition with units, time in its state, its runbook section."""
        metric, declared, scale = alarm.metric, alarm.declared, self.evaluator.period_scale
        notifier = self.model.function(catalog.NOTIFIER_HANDLER).environment
        alarm_id = alarm.name.removeprefix(f"{notifier[catalog.STACK_NAME_ENV]}-")
        changed_at = alarm.history[-1][0] if alarm.history else None
        return {
            "name": alarm.name,
            "state": alarm.state,
            "metric": f"{metric.namespace}/{metric.name}",
            "statistic": metric.statistic,
            "threshold": declared.threshold,
            "condition": f"{comparison_sign(declared.comparison)} {declared.threshold:g} "
            f"{UNITS.get(metric.name, metric.name)}",
            "period": _duration(metric.period_seconds)
            + (f" (here {_duration(metric.period_seconds * scale)})" if scale != 1 else ""),
            "datapoints": f"{declared.datapoints_to_alarm} of {declared.evaluation_periods}",
            "in_state": "since start" if changed_at is None else f"for {_duration(time.time() - changed_at)}",
            "runbook": catalog.runbook_section_url(notifier[catalog.RUNBOOK_URL_ENV], alarm_id),
        }


def _duration(seconds: float) -> str:
    """3 s, 5 min, 2 h 5 min."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


def _json(value: Any) -> HttpReply:
    return HttpReply(200, {"content-type": "application/json"}, json.dumps(value, default=str).encode())
