"""The email channel's format: subject, plain-text and HTML parts of one alert email, from what every channel
shows (presentation.py). Every email answers, in this order: what changed and why (subject), when, what was
measured against what, where (account/region) and what to do next (links to the alarm, the dashboard and the
runbook section). Plain functions, no AWS calls. (Not named `email.py`: that would read like the standard
library's `email` package.)
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from functions.common import catalog
from functions.notifier.alarm_message import AlarmState, AlarmStateChange
from functions.notifier.presentation import (
    MAX_RAW_MESSAGE_CHARS,
    AlertLinks,
    RawNotification,
    alarm_facts,
    alarm_title,
    unreadable_facts,
    unreadable_title,
)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def render_alarm_email(change: AlarmStateChange, links: AlertLinks) -> Email:
    subject = alarm_title(change)
    alarm_url = links.alarm(change.alarm_name, change.region)
    dashboard_url = links.dashboard(change.region)
    runbook_url = links.runbook(change.alarm_name)
    rows = alarm_facts(change)
    links_list = [
        ("Alarm in CloudWatch", alarm_url),
        ("Dashboard", dashboard_url),
        ("Runbook: what to do", runbook_url),
    ]

    text_lines = [subject, ""]
    text_lines += [f"{label}: {value}" for label, value in rows]
    if change.description:
        text_lines += ["", "What it means and what to do:", change.description]
    text_lines += ["", *(f"{label}: {url}" for label, url in links_list)]

    html_rows = "".join(
        f"<tr><th style='text-align:left;padding:2px 12px 2px 0;vertical-align:top'>{html.escape(label)}</th>"
        f"<td style='padding:2px 0'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    description = (
        f"<h3>What it means and what to do</h3><p style='white-space:pre-wrap'>{html.escape(change.description)}</p>"
        if change.description
        else ""
    )
    html_links = "".join(f"<li><a href='{html.escape(url)}'>{html.escape(label)}</a></li>" for label, url in links_list)
    body = (
        f"<h2 style='color:{_colour(change)}'>{html.escape(subject)}</h2>"
        f"<table>{html_rows}</table>{description}<ul>{html_links}</ul>"
    )
    return Email(subject=subject, text="\n".join(text_lines) + "\n", html=_document(subject, body))


def render_unreadable_email(notification: RawNotification, problem: str, links: AlertLinks) -> Email:
    """The message as it arrived, so nothing is lost; the subject says it could not be read."""
    subject = unreadable_title(notification)
    quoted = notification.message[:MAX_RAW_MESSAGE_CHARS]
    cut = len(notification.message) - len(quoted)
    rows = unreadable_facts(notification, problem)
    links_list = [
        ("Dashboard", links.dashboard(None)),
        ("Runbook: what to do", links.runbook_section(catalog.UNREADABLE_ALERT_SECTION)),
    ]
    note = f"\n[… {cut} more characters not shown]" if cut else ""

    text_lines = [
        subject,
        "",
        "The alarm notifier received a message it could not read as a CloudWatch alarm. It is forwarded as it was.",
        "",
        *(f"{label}: {value}" for label, value in rows),
        *(f"{label}: {url}" for label, url in links_list),
        "",
        "Message as received:",
        quoted + note,
    ]
    html_rows = "".join(
        f"<tr><th style='text-align:left;padding:2px 12px 2px 0'>{html.escape(label)}</th>"
        f"<td>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    html_links = "".join(f"<li><a href='{html.escape(url)}'>{html.escape(label)}</a></li>" for label, url in links_list)
    body = (
        f"<h2>{html.escape(subject)}</h2>"
        "<p>The alarm notifier received a message it could not read as a CloudWatch alarm. "
        "It is forwarded as it was.</p>"
        f"<table>{html_rows}</table><ul>{html_links}</ul>"
        f"<h3>Message as received</h3><pre style='white-space:pre-wrap'>{html.escape(quoted + note)}</pre>"
    )
    return Email(subject=subject, text="\n".join(text_lines) + "\n", html=_document(subject, body))


def _colour(change: AlarmStateChange) -> str:
    return {AlarmState.ALARM: "#b00020", AlarmState.OK: "#1b5e20"}.get(change.new_state, "#555555")


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif;font-size:14px'>{body}</body></html>"
    )
