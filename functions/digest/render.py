"""The weekly digest as each channel shows it: an email, a Slack message and the webhook's JSON document
(docs/alerting.md, "Digest payload")."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from functions.common import catalog
from functions.counter.sources import curated_sources, source_names
from functions.digest.figures import AlarmEpisode, Digest, ReaderWeek, WeekFigures
from functions.digest.readers import LinkOpens
from functions.notifier.alert_email import Email, html_links, html_page, html_table, text_rows
from functions.notifier.presentation import AlertLinks
from functions.notifier.slack import buttons, escape, field, header, section

DIGEST_PAYLOAD_VERSION: Final = 1
"""Bumped by a change that could break a receiver of the digest payload (like webhook.PAYLOAD_VERSION)."""


def digest_title(digest: Digest) -> str:
    week, so_far = digest.this_week, " so far" if digest.so_far else ""
    change = change_text(week.views, digest.last_week.views)
    return f"Weekly digest: week of {week.start.isoformat()}{so_far} — {views_text(week.views)} ({change})"


def views_text(count: int) -> str:
    return f"{count} view" if count == 1 else f"{count} views"


def change_text(now: int, before: int) -> str:
    """`+25% vs last week`, `same as last week`, or `none last week` (no percentage of nothing)."""
    if now == before:
        return "same as last week"
    if before == 0:
        return "none last week"
    percent = round((now - before) * 100 / before)
    return f"{percent:+d}% vs last week"


def duration_text(duration: timedelta) -> str:
    minutes = max(0, round(duration.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if value]
    return " ".join(parts) or "0 min"


def html_list(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def figure_rows(digest: Digest) -> list[tuple[str, str]]:
    """(label, value) rows every channel shows."""
    this, last = digest.this_week, digest.last_week
    busiest = this.busiest_day
    return [
        ("Views", f"{this.views} ({change_text(this.views, last.views)}; last week {last.views})"),
        (
            "Unique visitors",
            f"{this.unique_visitors} ({change_text(this.unique_visitors, last.unique_visitors)}; "
            f"last week {last.unique_visitors})",
        ),
        ("Busiest day", f"{busiest.day:%A %Y-%m-%d}, {views_text(busiest.views)}" if busiest else "no views"),
        ("Week", f"{this.start} to {this.start + timedelta(days=6)} (UTC){' so far' if digest.so_far else ''}"),
    ]


def alarm_lines(digest: Digest) -> list[str]:
    if digest.alarms is None:
        return [f"Alarm history could not be read ({digest.history_problem})."]
    if not digest.alarms:
        return ["No alarm fired this week."]
    return [_episode(episode, digest.period_end) for episode in digest.alarms]


def _episode(episode: AlarmEpisode, until: datetime) -> str:
    since = "already firing at the week's start" if episode.already_firing else f"fired {_when(episode.fired_at)}"
    end = f"resolved {_when(episode.resolved_at)}" if episode.resolved_at else "still firing"
    return f"{episode.alarm_name}: {since}, {end} — {duration_text(episode.duration(until))}"


READERS_HEADING: Final = "Where readers came from"
QUIET_READERS: Final = "No sources counted, no application link opened, no download this week."


def _job_boards() -> frozenset[str]:
    return frozenset(source.name for source in curated_sources() if source.job_board)


def _ordered_sources(sources: Mapping[str, int]) -> list[str]:
    """The sources counted, in the curated list's order (job boards and networks first, as sources.json lists them),
    then the rest."""
    order = {name: index for index, name in enumerate(source_names())}
    return sorted(
        (name for name, count in sources.items() if count), key=lambda name: (order.get(name, len(order)), name)
    )


def sources_text(sources: Mapping[str, int]) -> str:
    """`LinkedIn (job board) 3, direct 1`; empty when none was counted (the digest's and `make stats`' line)."""
    boards = _job_boards()
    return ", ".join(
        f"{name}{' (job board)' if name in boards else ''} {sources[name]}" for name in _ordered_sources(sources)
    )


def link_text(link: LinkOpens) -> str:
    """A link's opens as the digest, `make stats` and the readers drill word them."""
    name = "(other: codes you did not make)" if link.code == catalog.OTHER_LINK_CODE else link.code
    if not link.first_opened:
        return f"{name}: never opened"
    views = "1 view" if link.views == 1 else f"{link.views} views"
    return (
        f"{name}: first opened {link.first_opened}, last opened {link.last_opened}, "
        f"on {link.days} day{'' if link.days == 1 else 's'}, {views}"
    )


def reader_lines(readers: ReaderWeek) -> list[str]:
    """Sources (job boards flagged), downloads and the links opened; one line for a week with none of them."""
    if readers.quiet:
        return [QUIET_READERS]
    shown = sources_text(readers.sources) or "none counted"
    lines = [f"Sources (unique visitors): {shown}", f"Downloads of the résumé: {readers.downloads}"]
    if not readers.links:
        return [*lines, "Application links: none opened this week"]
    return [*lines, "Application links opened this week (all-time figures):", *map(link_text, readers.links)]


def _readers_payload(readers: ReaderWeek) -> dict[str, Any]:
    boards = _job_boards()
    return {
        "sources": [
            {"source": name, "unique_visitors": readers.sources[name], "job_board": name in boards}
            for name in _ordered_sources(readers.sources)
        ],
        "downloads": readers.downloads,
        "links": [
            {
                "code": link.code,
                "first_opened": link.first_opened,
                "last_opened": link.last_opened,
                "days": link.days,
                "views": link.views,
            }
            for link in readers.links
        ],
    }


def _week_payload(week: WeekFigures) -> dict[str, Any]:
    busiest = week.busiest_day
    return {
        "start": week.start.isoformat(),
        "views": week.views,
        "unique_visitors": week.unique_visitors,
        "busiest_day": busiest.day.isoformat() if busiest else None,
        "days": [
            {"day": day.day.isoformat(), "views": day.views, "unique_visitors": day.unique_visitors}
            for day in week.days
        ],
    }


@dataclass(frozen=True)
class DigestMessage:
    """The digest as the notifier's channels deliver it, idempotent per channel on its delivery id."""

    digest: Digest
    links: AlertLinks

    @property
    def delivery_id(self) -> str:
        return self.digest.delivery_id

    def email(self) -> Email:
        subject, rows, dashboard = digest_title(self.digest), figure_rows(self.digest), self.links.dashboard(None)
        daily = [
            f"{day.day:%a %m-%d}: {views_text(day.views)}, {day.unique_visitors} unique"
            for day in self.digest.this_week.days
        ]
        sections = [
            ("Day by day", daily),
            (READERS_HEADING, reader_lines(self.digest.readers)),
            ("Alarms", alarm_lines(self.digest)),
        ]
        text = [subject, "", *text_rows(rows)]
        body = f"<h2>{html.escape(subject)}</h2>{html_table(rows)}"
        for heading, lines in sections:
            text += ["", f"{heading}:", *lines]
            body += f"<h3>{heading}</h3>{html_list(lines)}"
        text += ["", f"Dashboard: {dashboard}"]
        body += html_links([("Dashboard", dashboard)])
        return Email(subject=subject, text="\n".join(text) + "\n", html=html_page(subject, body))

    def slack(self) -> dict[str, Any]:
        """Block Kit: a header, the figures as fields, the readers, the alarms, a dashboard button (Slack's
        limits: slack.py)."""
        title = digest_title(self.digest)
        blocks: list[dict[str, Any]] = [
            header(f":bar_chart: {title}"),
            {"type": "section", "fields": [field(label, value) for label, value in figure_rows(self.digest)]},
            section(f"*{READERS_HEADING}*\n" + escape("\n".join(reader_lines(self.digest.readers)))),
            section("*Alarms*\n" + escape("\n".join(alarm_lines(self.digest)))),
            buttons([("Dashboard", self.links.dashboard(None))]),
        ]
        return {"text": title, "blocks": blocks}

    def webhook(self) -> dict[str, Any]:
        """The webhook's document for a digest (docs/alerting.md, "Digest payload")."""
        digest = self.digest
        alarms = None
        if digest.alarms is not None:
            alarms = [
                {
                    "name": episode.alarm_name,
                    "fired_at": episode.fired_at.isoformat(),
                    "resolved_at": episode.resolved_at.isoformat() if episode.resolved_at else None,
                    "already_firing": episode.already_firing,
                    "duration_seconds": round(episode.duration(digest.period_end).total_seconds()),
                }
                for episode in digest.alarms
            ]
        return {
            "version": DIGEST_PAYLOAD_VERSION,
            "delivery_id": digest.delivery_id,
            "type": "digest",
            "title": digest_title(digest),
            "digest": {
                "generated_at": digest.generated_at.astimezone(UTC).isoformat(),
                "so_far": digest.so_far,
                "this_week": _week_payload(digest.this_week),
                "last_week": _week_payload(digest.last_week),
                "alarms": alarms,
                "alarm_history_problem": digest.history_problem,
                "readers": _readers_payload(digest.readers),
            },
            "links": {"dashboard": self.links.dashboard(None)},
        }
