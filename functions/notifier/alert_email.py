"""The email channel's format: subject, plain-text and HTML parts of one alert email, from what every channel
shows (presentation.py). The HTML helpers serve the weekly digest's email too.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from functions.common import catalog
from functions.notifier import presentation
from functions.notifier.alarm_message import AlarmState, AlarmStateChange
from functions.notifier.presentation import AlertLinks, RawNotification

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def render_alarm_email(change: AlarmStateChange, links: AlertLinks) -> Email:
    subject, rows, urls = (
        presentation.alarm_title(change),
        presentation.alarm_facts(change),
        presentation.alarm_links(change, links),
    )
    text_lines = [subject, "", *text_rows(rows)]
    description = ""
    if change.description:
        what_to_do = catalog.alarm_what_to_do(change.description)
        text_lines += ["", "What it means and what to do:", what_to_do]
        meaning = html.escape(what_to_do)
        description = f"<h3>What it means and what to do</h3><p style='white-space:pre-wrap'>{meaning}</p>"
    text_lines += ["", *text_rows(urls)]
    colour = {AlarmState.ALARM: "#b00020", AlarmState.OK: "#1b5e20"}.get(change.new_state, "#555555")
    body = f"<h2 style='color:{colour}'>{html.escape(subject)}</h2>{html_table(rows)}{description}{html_links(urls)}"
    return Email(subject=subject, text="\n".join(text_lines) + "\n", html=html_page(subject, body))


def render_unreadable_email(notification: RawNotification, problem: str, links: AlertLinks) -> Email:
    """The message as it arrived, so nothing is lost; the subject says it could not be read."""
    subject, rows, urls = (
        presentation.UNREADABLE_SUBJECT,
        presentation.unreadable_facts(notification, problem),
        presentation.unreadable_links(links),
    )
    message = "".join(presentation.quoted(notification.message, presentation.MAX_RAW_MESSAGE_CHARS))
    text_lines = [
        subject,
        "",
        presentation.UNREADABLE_INTRO,
        "",
        *text_rows(rows),
        *text_rows(urls),
        "",
        "Message as received:",
    ]
    body = (
        f"<h2>{html.escape(subject)}</h2><p>{html.escape(presentation.UNREADABLE_INTRO)}</p>{html_table(rows)}{html_links(urls)}"
        f"<h3>Message as received</h3><pre style='white-space:pre-wrap'>{html.escape(message)}</pre>"
    )
    return Email(subject=subject, text="\n".join([*text_lines, message]) + "\n", html=html_page(subject, body))


def text_rows(rows: Rows) -> list[str]:
    return [f"{label}: {value}" for label, value in rows]


def html_table(rows: Rows) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;padding:2px 12px 2px 0;vertical-align:top'>{html.escape(label)}</th>"
        f"<td style='padding:2px 0'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    return f"<table>{cells}</table>"


def html_links(links: Rows) -> str:
    return (
        "<ul>"
        + "".join(f"<li><a href='{html.escape(url)}'>{html.escape(label)}</a></li>" for label, url in links)
        + "</ul>"
    )


def html_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif;font-size:14px'>{body}</body></html>"
    )
