"""What every channel shows of an alert, whatever its format (email, Slack, the webhook's JSON): the title, the
facts (what was measured against what, when, where) and the links. Each channel's renderer arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

import boto3

from functions.common import catalog
from functions.common.env import required_env
from functions.notifier.alarm_message import AlarmState, AlarmStateChange, MetricStat, Trigger

MAX_SUBJECT_CHARS: Final = 90
"""What an inbox list shows of a subject on a laptop; the body has the rest."""
UNREADABLE_SUBJECT: Final = "[UNREADABLE ALERT] A message the notifier could not read, forwarded as received"
MEASURES: Final = frozenset({"ms", "%"})
"""Units of a measured figure (`2300 ms over 5 min`); any other unit counts (`152 requests in 5 min`)."""
MAX_RAW_MESSAGE_CHARS: Final = 100_000
"""An unreadable message is quoted up to this size (an SNS message is at most 256 KB; SES takes 40 MB)."""
UNREADABLE_INTRO: Final = (
    "The alarm notifier received a message it could not read as a CloudWatch alarm. It is forwarded as it was."
)

_COMPARISONS: Final = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
}


@dataclass(frozen=True)
class AlertLinks:
    """Where an email points; built once per container from the notifier's environment."""

    stack_name: str
    runbook_url: str
    alarm_ids: frozenset[str]  # the ids of the stack's alarms, each with its runbook section
    default_region: str  # the notifier's own, for a message that does not say which region it is about

    def alarm(self, alarm_name: str, region: str | None) -> str:
        region = region or self.default_region
        return f"{_console(region)}#alarmsV2:alarm/{quote(alarm_name, safe='')}"

    def dashboard(self, region: str | None) -> str:
        region = region or self.default_region
        return f"{_console(region)}#dashboards/dashboard/{quote(catalog.dashboard_name(self.stack_name), safe='')}"

    def runbook(self, alarm_name: str | None) -> str:
        """This alarm's runbook section; the runbook's start for an alarm this stack does not define."""
        alarm_id = catalog.alarm_id_of(self.stack_name, alarm_name, self.alarm_ids) if alarm_name else None
        return catalog.runbook_section_url(self.runbook_url, alarm_id) if alarm_id else self.runbook_url

    def runbook_section(self, section: str) -> str:
        return catalog.runbook_section_url(self.runbook_url, section)

    @classmethod
    def from_environment(cls) -> AlertLinks:
        return cls(
            stack_name=required_env(catalog.STACK_NAME_ENV),
            runbook_url=required_env(catalog.RUNBOOK_URL_ENV),
            alarm_ids=frozenset(required_env(catalog.ALARM_IDS_ENV).split(",")),
            # The function's own (Lambda sets AWS_REGION), for console links of a message without an ARN.
            default_region=boto3.session.Session().region_name,
        )


@dataclass(frozen=True)
class RawNotification:
    """What an email about an unreadable message quotes from the SNS envelope."""

    message_id: str
    topic_arn: str | None
    subject: str | None
    timestamp: str | None
    message: str


def alarm_title(change: AlarmStateChange) -> str:
    """`[ALARM] Traffic spike: 152 requests in 5 min (limit 30) — guard engaged`: the state, the alarm's title
    (catalog.alarm_description; another alarm's name), the summary, and what the notifier did (`Throttle guard`,
    `engaged: ...` → `guard engaged`). The email's subject, and the title on every other channel."""
    title = (catalog.alarm_title_and_unit(change.description) or (change.alarm_name,))[0]
    done = "".join(f" — {label.split()[-1].lower()} {value.split(':', 1)[0]}" for label, value in change.actions_taken)
    return _subject(f"[{state_tag(change)}] {title}: {summary(change)}{done}")


def summary(change: AlarmStateChange) -> str:
    """The latest figure against the limit, the period in words (`152 requests in 5 min (limit 30)`, `2300 ms p99
    over 5 min (limit 1500 ms)`), or the reason's first line."""
    trigger = change.trigger
    if trigger is None:
        return change.reason.strip().split("\n")[0] or change.new_state.value.replace("_", " ").lower()
    unit = (catalog.alarm_title_and_unit(change.description) or ("", ""))[1]
    period = trigger.period_seconds
    statistic = trigger.metric.statistic if trigger.metric is not None and unit else ""
    measured = f" {statistic}" if statistic.startswith("p") else ""  # a percentile: `2300 ms p99`
    figure = change.datapoints[0] if change.datapoints else None
    if figure == 1 and unit not in MEASURES:
        unit = _singular(unit)  # `1 failed check`, `1 5xx answer`
    unit = unit or watched_label(trigger)  # another alarm's: `Latency (p99)`
    within = f" {'over' if unit in MEASURES else 'in'} {_duration(period)}" if period else ""
    limit = f"limit {_number(trigger.threshold)}" + (f" {unit}" if unit in MEASURES else "")
    shown = "" if figure is None else f"{_number(figure)} "
    return f"{shown}{unit}{measured}{within} ({limit})"


def alarm_links(change: AlarmStateChange, links: AlertLinks) -> list[tuple[str, str]]:
    """(label, URL) rows of where to look next: the alarm, the dashboard, the alarm's runbook section."""
    return [
        ("Alarm in CloudWatch", links.alarm(change.alarm_name, change.region)),
        ("Dashboard", links.dashboard(change.region)),
        ("Runbook: what to do", links.runbook(change.alarm_name)),
    ]


def unreadable_links(links: AlertLinks) -> list[tuple[str, str]]:
    return [
        ("Dashboard", links.dashboard(None)),
        ("Runbook: what to do", links.runbook_section(catalog.UNREADABLE_ALERT_SECTION)),
    ]


def quoted(message: str, limit: int) -> tuple[str, str]:
    """The message cut to `limit` characters, and a note saying how many were cut (empty when none were)."""
    cut = len(message) - limit
    return message[:limit], f"\n[… {cut} more characters not shown]" if cut > 0 else ""


def unreadable_facts(notification: RawNotification, problem: str) -> list[tuple[str, str]]:
    return [
        ("Problem", problem),
        ("SNS subject", notification.subject or "none"),
        ("SNS message id", notification.message_id),
        ("Topic", notification.topic_arn or "unknown"),
        ("Published", notification.timestamp or "unknown"),
    ]


def watched_label(trigger: Trigger) -> str:
    """The metric (and statistic) the alarm compares with its threshold."""
    return f"{trigger.metric.name} ({trigger.metric.statistic})" if trigger.metric else "the watched value"


def state_tag(change: AlarmStateChange) -> str:
    """ALARM, RESOLVED, OK or INSUFFICIENT DATA: what the change means to the owner."""
    if change.new_state is AlarmState.ALARM:
        return "ALARM"
    if change.new_state is AlarmState.OK:
        # OK after ALARM is a resolved problem, also when the alarm passed INSUFFICIENT_DATA on the way.
        return "RESOLVED" if change.old_state is AlarmState.ALARM or change.resolves_alarm else "OK"
    return "INSUFFICIENT DATA"


def alarm_facts(change: AlarmStateChange) -> list[tuple[str, str]]:
    """(label, value) rows every channel shows: state, when, reason, what is watched against what, where."""
    old = change.old_state.value if change.old_state else "unknown"
    rows = [
        ("Alarm", change.alarm_name),
        ("State", f"{old} → {change.new_state.value}"),
        ("When", _when(change.changed_at)),
        *change.actions_taken,
        ("Reason", change.reason or "not given"),
    ]
    trigger = change.trigger
    if trigger is not None:
        rows.append(("Watches", watched_label(trigger)))
        if trigger.metric is not None:
            rows.append(("Metric", _metric(trigger.metric)))
        rows.append(("Threshold", f"alarms at {_condition(trigger)}{_evaluation(trigger)}"))
        if change.datapoints:
            label = "Value that crossed it" if change.new_state is AlarmState.ALARM else "Latest value"
            value = _number(change.datapoints[0])
            if len(change.datapoints) > 1:
                value += f" (datapoints, newest first: {', '.join(_number(v) for v in change.datapoints)})"
            rows.append((label, value))
        if trigger.treat_missing_data:
            rows.append(("Missing data", trigger.treat_missing_data))
    rows.append(("Account / region", f"{change.account_id or 'unknown account'} / {change.region or 'unknown region'}"))
    return rows


def _metric(metric: MetricStat) -> str:
    dimensions = ", ".join(f"{name}={value}" for name, value in metric.dimensions)
    return f"{metric.namespace} {metric.name}" + (f" [{dimensions}]" if dimensions else "")


def _condition(trigger: Trigger) -> str:
    symbol = _COMPARISONS.get(trigger.comparison_operator, trigger.comparison_operator)
    return f"{symbol} {_number(trigger.threshold)}" if trigger.threshold is not None else symbol


def _evaluation(trigger: Trigger) -> str:
    if trigger.period_seconds is None or trigger.evaluation_periods is None:
        return ""
    datapoints = trigger.datapoints_to_alarm or trigger.evaluation_periods
    return (
        f", in {datapoints} of {trigger.evaluation_periods} periods of {_duration(trigger.period_seconds)}"
        if trigger.evaluation_periods > 1
        else f", over {_duration(trigger.period_seconds)}"
    )


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _singular(unit: str) -> str:
    """The count noun of one (`failed deliveries` → `failed delivery`); every alarm's unit is a plural in -s."""
    if unit.endswith("ies"):
        return unit[:-3] + "y"
    return unit.removesuffix("s")


def _number(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g}"


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "unknown"


def _subject(text: str) -> str:
    # NOTE: a header may not contain line breaks; a reason quoted from a message could.
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_SUBJECT_CHARS else flat[: MAX_SUBJECT_CHARS - 1] + "…"


def _console(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
