"""The weekly digest's figures: views and unique visitors against the week before and where the week's readers came
from (the visits table, readers.py), and the alarms that fired (CloudWatch). Weeks are ISO weeks in UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from functions.common import catalog
from functions.digest.readers import DayReaders, LinkOpens, VisitsReader

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient

WEEK: Final = timedelta(days=7)
HISTORY_LOOKBACK: Final = timedelta(days=14)
"""Alarm history is read from this long before the week, so an alarm already firing when it began is seen.
NOTE: CloudWatch keeps alarm history for 30 days. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"""


@dataclass(frozen=True)
class WeekFigures:
    start: date
    """The week's Monday (UTC)."""
    days: tuple[DayReaders, ...]

    @property
    def views(self) -> int:
        return sum(day.views for day in self.days)

    @property
    def unique_visitors(self) -> int:
        return sum(day.unique_visitors for day in self.days)

    @property
    def busiest_day(self) -> DayReaders | None:
        """The day with the most views (the earliest of equals); None in a week without views."""
        busiest = max(self.days, key=lambda day: (day.views, -day.day.toordinal()))
        return busiest if busiest.views > 0 else None


@dataclass(frozen=True)
class AlarmEpisode:
    alarm_name: str
    fired_at: datetime
    """When it went into ALARM (clipped to the week's start when it was already firing then)."""
    resolved_at: datetime | None
    """When it left ALARM, or None while it still fires."""
    already_firing: bool
    """It was in ALARM before the week began."""

    def duration(self, until: datetime) -> timedelta:
        return (self.resolved_at or until) - self.fired_at


@dataclass(frozen=True)
class ReaderWeek:
    """Where the week's readers came from: each day's sources and downloads, and the application links opened."""

    days: tuple[DayReaders, ...] = ()
    links: tuple[LinkOpens, ...] = ()
    """Links opened in the week (first opened before its end, last opened after its start), by code; their
    figures are all time (a link item keeps no days). OTHER_LINK_CODE's last, when opened."""

    @property
    def sources(self) -> dict[str, int]:
        """Source → unique visitors from it over the week (a visitor counts once a day)."""
        total: dict[str, int] = {}
        for day in self.days:
            for name, count in day.sources.items():
                total[name] = total.get(name, 0) + count
        return {name: count for name, count in total.items() if count}

    @property
    def downloads(self) -> int:
        return sum(day.downloads for day in self.days)

    @property
    def quiet(self) -> bool:
        """No source counted, no link opened, no download: the digest says so in one line."""
        return not self.sources and not self.links and not self.downloads


@dataclass(frozen=True)
class Digest:
    delivery_id: str
    """Keys idempotency per channel: the same for every retry of one scheduled run."""
    generated_at: datetime
    so_far: bool
    """True: this week so far (make digest); False: the week that ended (the schedule)."""
    this_week: WeekFigures
    last_week: WeekFigures
    alarms: tuple[AlarmEpisode, ...] | None
    """None when the alarm history could not be read; `history_problem` says why."""
    history_problem: str | None = None
    readers: ReaderWeek = ReaderWeek()

    @property
    def period_end(self) -> datetime:
        return min(midnight(self.this_week.start) + WEEK, self.generated_at)


def week_start(at: datetime, *, so_far: bool) -> date:
    """The Monday of the reported week: the one `at` falls in (so far), else the one before it."""
    day = at.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return monday if so_far else monday - WEEK


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def week_figures(visits: VisitsReader, this_start: date) -> tuple[WeekFigures, WeekFigures]:
    """This week and the one before, each day's figures as the counter stored them (14 day items and the totals
    item, by key): the count the page shows. A day without an item had no views."""
    last_start = this_start - WEEK
    totals = visits.item(catalog.VISITS_ITEM_KEY)
    days = visits.days([last_start + timedelta(days=offset) for offset in range(14)], totals)
    return WeekFigures(this_start, days[7:]), WeekFigures(last_start, days[:7])


def episodes(alarm_name: str, items: list[Any], start: datetime, end: datetime) -> list[AlarmEpisode]:
    """The times the alarm was in ALARM during [start, end), from its state updates (oldest first)."""
    found: list[AlarmEpisode] = []
    fired: datetime | None = None
    for item in items:
        at = item["Timestamp"].astimezone(UTC)
        state = json.loads(item["HistoryData"])["newState"]["stateValue"]
        if state == "ALARM" and fired is None:
            fired = at
        elif state != "ALARM" and fired is not None:
            if at > start and fired < end:
                found.append(AlarmEpisode(alarm_name, max(fired, start), at, fired < start))
            fired = None
    if fired is not None and fired < end:
        found.append(AlarmEpisode(alarm_name, max(fired, start), None, fired < start))
    return found


def alarm_episodes(
    cloudwatch: CloudWatchClient, alarm_names: list[str], start: datetime, end: datetime
) -> tuple[AlarmEpisode, ...]:
    """Every episode of the stack's alarms in the week, in the order they fired.

    NOTE: DescribeAlarmHistory with HistoryItemType StateUpdate, one alarm per call (AlarmName), so the role may
    read this stack's alarms only. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
    """
    found: list[AlarmEpisode] = []
    for name in alarm_names:
        pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
            AlarmName=name,
            HistoryItemType="StateUpdate",
            StartDate=start - HISTORY_LOOKBACK,
            EndDate=end,
            ScanBy="TimestampAscending",
        )
        found += episodes(name, [item for page in pages for item in page["AlarmHistoryItems"]], start, end)
    return tuple(sorted(found, key=lambda episode: (episode.fired_at, episode.alarm_name)))


def reader_week(visits: VisitsReader, week: WeekFigures) -> ReaderWeek:
    """The week's sources and downloads (its days, already read) and the links opened in it (the registry's and
    OTHER_LINK_CODE's items, read by key)."""
    first, last = week.start.isoformat(), (week.start + timedelta(days=6)).isoformat()
    links = [
        link
        for link in visits.links([*visits.link_codes(), catalog.OTHER_LINK_CODE])
        if link.first_opened and link.first_opened <= last and link.last_opened >= first
    ]
    links.sort(key=lambda link: link.code == catalog.OTHER_LINK_CODE)
    return ReaderWeek(week.days, tuple(links))


def build_digest(
    cloudwatch: CloudWatchClient,
    visits: VisitsReader,
    alarm_names: list[str],
    *,
    now: datetime,
    so_far: bool,
    delivery_id: str,
) -> Digest:
    """The digest as of `now`. An alarm history that cannot be read (e.g. an emulator without the call) is said
    in the digest instead of failing it: the figures still reach the owner."""
    this_start = week_start(now, so_far=so_far)
    this_week, last_week = week_figures(visits, this_start)
    readers = reader_week(visits, this_week)
    start = midnight(this_start)
    end = min(start + WEEK, now)
    try:
        alarms: tuple[AlarmEpisode, ...] | None = alarm_episodes(cloudwatch, alarm_names, start, end)
        problem = None
    except Exception as error:  # botocore's ClientError/BotoCoreError; the text names the call, never a secret
        alarms, problem = None, history_problem(error)
    return Digest(delivery_id, now, so_far, this_week, last_week, alarms, problem, readers)


def history_problem(error: Exception) -> str:
    """One short line: CloudWatch's error code when it answered one (an emulator's answer may be a whole page)."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code:
        return f"DescribeAlarmHistory answered {code}"
    return " ".join(f"{type(error).__name__}: {error}".split())[:200]
