"""The weekly digest: its figures from the visits table as the real counter stored them (exact numbers, UTC week
boundaries), the alarms that fired and for how long from seeded alarm history, and its delivery on every channel, once.

NOTE: moto 5 has no DescribeAlarmHistory, so the history tests hand botocore's Stubber the answers CloudWatch
documents; the handler on moto reports that the history could not be read, and still delivers the figures.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from functions.common import catalog
from functions.counter.visits import Outcome, Visit, VisitCounter
from functions.digest.figures import (
    AlarmEpisode,
    Digest,
    alarm_episodes,
    build_digest,
    history_problem,
    week_figures,
    week_start,
)
from functions.digest.readers import VisitsReader
from functions.digest.render import QUIET_READERS, DigestMessage
from functions.notifier.presentation import AlertLinks
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM
from tests.unit.notifier.conftest import STACK_NAME, VISITS_TABLE, Invoke
from tools.link import create_link

SCHEDULED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""A Monday 08:00 UTC: the default schedule's run reports 2026-11-23 to 2026-11-29, against 11-16 to 11-22."""
THIS_MONDAY = date(2026, 11, 23)
LAST_MONDAY = date(2026, 11, 16)
LINKS = AlertLinks(
    stack_name=STACK_NAME, runbook_url="https://example.com/runbook", alarm_ids=frozenset(), default_region="us-east-1"
)
DASHBOARD = f"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{STACK_NAME}-operations"

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
# (when, visitor, views): around each week boundary, so a day read from the wrong item changes a figure.
COUNTED: list[tuple[datetime, str, int]] = [
    (datetime(2026, 11, 15, 23, 59, 59, tzinfo=UTC), "a", 5),  # before last week
    (datetime(2026, 11, 16, 0, 0, 0, tzinfo=UTC), "a", 3),  # last week's first second
    (datetime(2026, 11, 16, 0, 0, 0, tzinfo=UTC), "b", 3),
    (datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC), "a", 4),  # last week's last second
    (datetime(2026, 11, 23, 10, 0, tzinfo=UTC), "a", 3),
    (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "c", 1),
    (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "d", 1),
    (datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), "c", 3),
    (datetime(2026, 11, 29, 23, 59, tzinfo=UTC), "e", 1),  # still on the totals item at the digest's run
]


def _counter(now: list[datetime]) -> VisitCounter:
    """The real counter on the test table, its clock reading `now[0]`."""
    return VisitCounter(
        client=boto3.client("dynamodb"),
        table_name=VISITS_TABLE,
        max_views_per_day=10,
        max_views_per_network_per_day=30,
        clock=lambda: now[0],
    )


def _seed(counted: list[tuple[datetime, str, int]] = COUNTED) -> None:
    """Each (when, visitor, views) counted by the counter at that time."""
    now = [SCHEDULED]
    counter = _counter(now)
    for number, (at, visitor, views) in enumerate(counted):
        now[0] = at
        for view in range(views):
            result = counter.record_visit(Visit(f"{number}-{view}", "203.0.113.1", f"{FIREFOX} digest/{visitor}"))
            assert result.outcome in (Outcome.FIRST_VIEW, Outcome.REPEAT_VIEW)


def test_the_reported_week_is_the_iso_week_in_utc() -> None:
    # The schedule's run (Monday 08:00) reports the week that ended; `make digest` the week it is in.
    assert week_start(SCHEDULED, so_far=False) == THIS_MONDAY
    assert week_start(datetime(2026, 11, 29, 23, 59, tzinfo=UTC), so_far=False) == LAST_MONDAY
    assert week_start(SCHEDULED, so_far=True) == date(2026, 11, 30)
    # A time given in another zone is still read in UTC (Sunday 23:30 UTC is Monday in Berlin).
    berlin = datetime(2026, 11, 30, 0, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert week_start(berlin - timedelta(hours=1), so_far=True) == THIS_MONDAY


def test_views_and_unique_visitors_per_day_as_the_counter_stored_them(visits_table: str) -> None:
    # Given views counted around both week boundaries, Sunday's still on the totals item
    _seed()
    visits = VisitsReader(boto3.client("dynamodb"), visits_table)
    # When the digest reads this week and the one before
    this_week, last_week = week_figures(visits, THIS_MONDAY)
    # Then each figure counts exactly the views of its UTC days, and a day without views is 0
    assert [(d.day.day, d.views, d.unique_visitors) for d in this_week.days] == [
        (23, 3, 1),
        (24, 0, 0),
        (25, 5, 2),
        (26, 0, 0),
        (27, 0, 0),
        (28, 0, 0),
        (29, 1, 1),
    ]
    assert (this_week.views, this_week.unique_visitors) == (9, 4)
    assert (last_week.views, last_week.unique_visitors) == (10, 3)
    assert this_week.busiest_day is not None
    assert this_week.busiest_day.day == date(2026, 11, 25)
    assert last_week.busiest_day is not None
    assert last_week.busiest_day.day == LAST_MONDAY
    # And once the new week's first view has moved Sunday to its day item, the weeks read the same
    _seed([(datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "f", 7)])
    assert week_figures(visits, THIS_MONDAY) == (this_week, last_week)


def _state_update(alarm: str, at: datetime, old: str, new: str) -> dict[str, Any]:
    # The shape DescribeAlarmHistory answers with for a StateUpdate item.
    data = {"version": "1.0", "oldState": {"stateValue": old}, "newState": {"stateValue": new}}
    return {
        "AlarmName": alarm,
        "AlarmType": "MetricAlarm",
        "Timestamp": at,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old} to {new}",
        "HistoryData": json.dumps(data),
    }


def test_alarms_that_fired_and_for_how_long_from_the_alarm_history() -> None:
    # Given the history of two alarms: one fired twice in the week (40 min, then still firing at the end),
    # one already firing when the week began and resolved on its Tuesday; a third never fired
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    start, end = datetime(2026, 11, 23, tzinfo=UTC), SCHEDULED.replace(hour=0)
    five_xx, latency, quiet = (
        catalog.alarm_name(STACK_NAME, a) for a in (API_5XX_ALARM, API_P99_LATENCY_ALARM, COUNTER_THROTTLES_ALARM)
    )
    history = {
        five_xx: [
            _state_update(five_xx, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "OK", "ALARM"),
            _state_update(five_xx, datetime(2026, 11, 24, 10, 40, tzinfo=UTC), "ALARM", "OK"),
            _state_update(five_xx, datetime(2026, 11, 29, 22, 0, tzinfo=UTC), "OK", "ALARM"),
        ],
        latency: [
            _state_update(latency, datetime(2026, 11, 20, 6, 0, tzinfo=UTC), "OK", "ALARM"),
            _state_update(latency, datetime(2026, 11, 24, 1, 30, tzinfo=UTC), "ALARM", "OK"),
        ],
        quiet: [],
    }
    with Stubber(cloudwatch) as stub:
        for name in (five_xx, latency, quiet):
            stub.add_response(
                "describe_alarm_history",
                {"AlarmHistoryItems": history[name]},
                {
                    "AlarmName": name,
                    "HistoryItemType": "StateUpdate",
                    "StartDate": start - timedelta(days=14),
                    "EndDate": end,
                    "ScanBy": "TimestampAscending",
                },
            )
        # When the digest reads them
        found = alarm_episodes(cloudwatch, [five_xx, latency, quiet], start, end)
    # Then each time in ALARM is one episode, clipped to the week, with its duration
    assert found == (
        AlarmEpisode(latency, start, datetime(2026, 11, 24, 1, 30, tzinfo=UTC), already_firing=True),
        AlarmEpisode(
            five_xx, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 24, 10, 40, tzinfo=UTC), False
        ),
        AlarmEpisode(five_xx, datetime(2026, 11, 29, 22, 0, tzinfo=UTC), None, already_firing=False),
    )
    assert [episode.duration(end) for episode in found] == [
        timedelta(days=1, hours=1, minutes=30),
        timedelta(minutes=40),
        timedelta(hours=2),
    ]


def _digest(alarms: tuple[AlarmEpisode, ...] | None = ()) -> Digest:
    cloudwatch = boto3.client("cloudwatch")
    _seed()
    visits = VisitsReader(boto3.client("dynamodb"), VISITS_TABLE)
    built = build_digest(
        cloudwatch, visits, [], now=SCHEDULED, so_far=False, delivery_id="digest:2026-11-30T08:00:00+00:00"
    )
    return Digest(built.delivery_id, built.generated_at, False, built.this_week, built.last_week, alarms)


def test_every_channel_renders_the_figures_the_alarms_and_the_dashboard_link(visits_table: str) -> None:
    episode = AlarmEpisode(
        "ResumeBackend-api-5xx-errors",
        datetime(2026, 11, 24, 10, tzinfo=UTC),
        datetime(2026, 11, 24, 10, 40, tzinfo=UTC),
        False,
    )
    message = DigestMessage(_digest((episode,)), LINKS)
    email = message.email()
    assert email.subject == "Weekly digest: week of 2026-11-23 — 9 views (-10% vs last week)"
    assert "Views: 9 (-10% vs last week; last week 10)\n" in email.text
    assert "Unique visitors: 4 (+33% vs last week; last week 3)\n" in email.text
    assert "Busiest day: Wednesday 2026-11-25, 5 views\n" in email.text
    assert (
        "ResumeBackend-api-5xx-errors: fired Tue 2026-11-24 10:00 UTC, resolved Tue 2026-11-24 10:40 UTC — 40 min"
        in email.text
    )
    assert f"Dashboard: {DASHBOARD}" in email.text
    assert f"href='{DASHBOARD}'" in email.html
    slack = message.slack()
    assert slack["text"] == email.subject
    assert slack["blocks"][1]["fields"][0] == {"type": "mrkdwn", "text": "*Views*\n9 (-10% vs last week; last week 10)"}
    assert slack["blocks"][4]["elements"][0]["url"] == DASHBOARD
    payload = message.webhook()
    assert payload["version"] == 1
    assert payload["type"] == "digest"
    assert payload["digest"]["this_week"] | {"days": None} == {
        "start": "2026-11-23",
        "views": 9,
        "unique_visitors": 4,
        "busiest_day": "2026-11-25",
        "days": None,
    }
    assert payload["digest"]["alarms"] == [
        {
            "name": "ResumeBackend-api-5xx-errors",
            "fired_at": "2026-11-24T10:00:00+00:00",
            "resolved_at": "2026-11-24T10:40:00+00:00",
            "already_firing": False,
            "duration_seconds": 2400,
        }
    ]


def _digest_event(when: datetime = SCHEDULED) -> dict[str, Any]:
    # What EventBridge Scheduler sends (infra/digest.py): the input with its scheduled-time attribute filled in.
    return {"kind": catalog.DIGEST_EVENT_KIND, "scheduled_time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "so_far": False}


def test_an_unreadable_scheduled_time_fails_the_invocation(invoke_digest: Invoke) -> None:
    with pytest.raises(ValueError, match="scheduled_time"):
        invoke_digest({"kind": catalog.DIGEST_EVENT_KIND, "scheduled_time": "<aws.scheduler.scheduled-time>"})


def test_an_unreadable_alarm_history_is_one_short_line() -> None:
    # An emulator's 500 answer is a whole HTML page; the digest quotes CloudWatch's error code only
    page = ClientError({"Error": {"Code": "500", "Message": "<!doctype html>\n<html>..."}}, "DescribeAlarmHistory")
    assert history_problem(page) == "DescribeAlarmHistory answered 500"
    assert history_problem(NotImplementedError("not\nimplemented")) == "NotImplementedError: not implemented"


def _count_readers_of_the_week() -> None:
    """Visits counted by the real counter: a LinkedIn reader through an application link on Tuesday, an Indeed one
    and a download on Wednesday, a direct one and a download on Sunday (still in the totals item at the digest's
    run), and a LinkedIn reader of the week before (not reported)."""
    client = boto3.client("dynamodb")
    now = [datetime(2026, 11, 20, 9, tzinfo=UTC)]
    counter = _counter(now)
    create_link(client, VISITS_TABLE, "acme-2026-12", today="2026-11-19")
    create_link(client, VISITS_TABLE, "globex-2026-10", today="2026-11-01")
    visits: list[tuple[datetime, Visit]] = [
        (datetime(2026, 11, 20, 9, tzinfo=UTC), Visit("a", "203.0.113.1", FIREFOX, source="linkedin")),
        (datetime(2026, 11, 24, 9, tzinfo=UTC), Visit("b", "203.0.113.2", FIREFOX, "linkedin", "acme-2026-12")),
        (datetime(2026, 11, 25, 9, tzinfo=UTC), Visit("c", "203.0.113.3", FIREFOX, source="indeed")),
        (datetime(2026, 11, 25, 9, 5, tzinfo=UTC), Visit("d", "203.0.113.3", FIREFOX, download=True)),
        (datetime(2026, 11, 29, 20, tzinfo=UTC), Visit("e", "203.0.113.4", FIREFOX, source="direct")),
        (datetime(2026, 11, 29, 20, 1, tzinfo=UTC), Visit("f", "203.0.113.4", FIREFOX, download=True)),
    ]
    for at, visit in visits:
        now[0] = at
        counter.record_visit(visit)


def test_the_digest_shows_the_weeks_sources_links_and_downloads_on_every_channel(visits_table: str) -> None:
    # Given a week of readers counted by the counter
    _count_readers_of_the_week()
    # When the digest of that week is built
    cloudwatch = boto3.client("cloudwatch")
    visits = VisitsReader(boto3.client("dynamodb"), visits_table)
    digest = build_digest(cloudwatch, visits, [], now=SCHEDULED, so_far=False, delivery_id="digest:test")
    message = DigestMessage(digest, LINKS)
    # Then every channel shows the sources (job boards flagged), the download and the link opened that week
    sources = "Sources (unique visitors): linkedin (job board) 1, indeed (job board) 1, direct 1"
    link = "acme-2026-12: first opened 2026-11-24, last opened 2026-11-24, on 1 day, 1 view"
    email = message.email()
    for line in (sources, "Downloads of the résumé: 2", link):
        assert f"{line}\n" in email.text
        assert html.escape(line) in email.html
    assert "globex-2026-10" not in email.text  # made, never opened
    readers_block = message.slack()["blocks"][2]["text"]["text"]
    assert readers_block.startswith("*Where readers came from*\n")
    assert sources in readers_block
    assert link in readers_block
    assert message.webhook()["digest"]["readers"] == {
        "sources": [
            {"source": "linkedin", "unique_visitors": 1, "job_board": True},
            {"source": "indeed", "unique_visitors": 1, "job_board": True},
            {"source": "direct", "unique_visitors": 1, "job_board": False},
        ],
        "downloads": 2,
        "links": [
            {
                "code": "acme-2026-12",
                "first_opened": "2026-11-24",
                "last_opened": "2026-11-24",
                "days": 1,
                "views": 1,
            }
        ],
    }


def test_a_week_without_readers_says_so_in_one_line(visits_table: str) -> None:
    # Given readers the week before only
    client = boto3.client("dynamodb")
    counter = _counter([datetime(2026, 11, 18, tzinfo=UTC)])
    counter.record_visit(Visit("old", "203.0.113.9", "Mozilla/5.0 Firefox/133.0", source="github"))
    # When the digest of the week after is built
    visits = VisitsReader(client, visits_table)
    digest = build_digest(boto3.client("cloudwatch"), visits, [], now=SCHEDULED, so_far=False, delivery_id="d")
    message = DigestMessage(digest, LINKS)
    # Then one line says there were none, in every channel, and no empty table is shown
    email = message.email()
    assert f"Where readers came from:\n{QUIET_READERS}\n\nAlarms:" in email.text
    assert "Sources (unique visitors)" not in email.text
    assert message.slack()["blocks"][2]["text"]["text"] == f"*Where readers came from*\n{QUIET_READERS}"
    assert message.webhook()["digest"]["readers"] == {"sources": [], "downloads": 0, "links": []}
