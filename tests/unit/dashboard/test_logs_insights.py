"""The dashboard's own Logs Insights queries, run locally over log events shaped as the Lambdas write them."""

from __future__ import annotations

import calendar

import pytest

from functions.common import catalog
from infra.monitoring.counter import COLD_START_QUERY
from infra.monitoring.dashboard import (
    APPLICATION_LINKS_QUERY,
    DOWNLOADS_QUERY,
    LATEST_ERRORS_QUERY,
    LATEST_PROBE_FAILURES_QUERY,
    READER_SOURCES_QUERY,
)
from tools.dashboard import logs_insights

NOON = calendar.timegm((2026, 11, 21, 12, 0, 0))


def _event(minutes: float, **fields: object) -> dict[str, object]:
    return {"@timestamp": NOON + minutes * 60, "level": "INFO", **fields}


def test_latest_errors_newest_first_with_the_querys_columns() -> None:
    # Given two errors and an info line (the query names columns it does not filter on, and filters on one it
    # does not show)
    events = [
        _event(1, level="ERROR", service="visit-counter", message="visit store unavailable", correlation_id="a"),
        _event(2, message="cold start"),
        _event(5, level="ERROR", service="notifier", message="delivery failed", exception_name="ClientError"),
    ]
    rows = logs_insights.run(
        logs_insights.parse(f"SOURCE 'Counter' | SOURCE 'Notifier' | {LATEST_ERRORS_QUERY}"), events
    )
    # Then only the errors, newest first, each with every named column
    assert [row["message"] for row in rows] == ["delivery failed", "visit store unavailable"]
    assert list(rows[0]) == ["@timestamp", "service", "message", "exception_name", "correlation_id"]
    assert rows[0]["@timestamp"] == "2026-11-21 12:05:00"
    assert rows[1]["exception_name"] == ""  # absent in the line: an empty cell, as the console shows it


def test_failed_probe_checks_are_the_lines_that_name_a_check() -> None:
    events = [
        _event(0, message="probe passed"),
        _event(10, message="probe check failed", **{catalog.PROBE_CHECK_LOG_KEY: "visits_read"}),
    ]
    rows = logs_insights.run(logs_insights.parse(LATEST_PROBE_FAILURES_QUERY), events)
    assert [row[catalog.PROBE_CHECK_LOG_KEY] for row in rows] == ["visits_read"]


def test_cold_starts_are_counted_and_averaged_per_hour() -> None:
    events = [
        _event(1, message="cold start", import_ms=200.0),
        _event(30, message="cold start", import_ms=100.0),
        _event(61, message="cold start", import_ms=150.0),
        _event(62, message="visit counted"),
    ]
    rows = logs_insights.run(logs_insights.parse(COLD_START_QUERY), events)
    assert rows == [
        {"bin(1h)": "2026-11-21 12:00:00", "coldStarts": "2", "avgImportMs": "150.0", "maxImportMs": "200.0"},
        {"bin(1h)": "2026-11-21 13:00:00", "coldStarts": "1", "avgImportMs": "150.0", "maxImportMs": "150.0"},
    ]


def test_rows_come_from_the_querys_log_groups_within_the_time_range() -> None:
    groups = {"Probe": [_event(0, probe_check="site_page"), _event(120, probe_check="counter_script")]}
    rows = logs_insights.rows(
        f"SOURCE 'Probe' | SOURCE 'Elsewhere' | {LATEST_PROBE_FAILURES_QUERY}",
        lambda group: groups.get(group, []),
        NOON,
        NOON + 3600,
    )
    assert [row["probe_check"] for row in rows] == ["site_page"]


def _emf(minutes: float, **properties: object) -> dict[str, object]:
    """A counted view's EMF document as Logs Insights reads it: metrics and properties alike are fields."""
    return {"@timestamp": NOON + minutes * 60, "service": catalog.COUNTER_SERVICE, "Visits": [1.0], **properties}


def test_readers_are_counted_by_source_most_first() -> None:
    events = [
        _emf(1, source="linkedin", UniqueVisitors=[1.0]),
        _emf(2),  # a reload: no source
        _emf(3, source="google", UniqueVisitors=[1.0]),
        _emf(4, source="linkedin", UniqueVisitors=[1.0]),
        _event(5, message="cold start", import_ms=120.0),
    ]
    rows = logs_insights.run(logs_insights.parse(READER_SOURCES_QUERY), events)
    assert rows == [{"source": "linkedin", "readers": "2"}, {"source": "google", "readers": "1"}]


def test_application_links_show_views_and_first_and_last_opened_last_opened_first() -> None:
    events = [
        _emf(1, ref="acme-2026-12"),
        _emf(30, ref="globex"),
        _emf(90, ref="acme-2026-12"),
        _emf(95),
        _emf(100, ref=catalog.OTHER_LINK_CODE),
    ]
    rows = logs_insights.run(logs_insights.parse(APPLICATION_LINKS_QUERY), events)
    assert rows == [
        {"ref": "(other)", "views": "1", "firstOpened": "2026-11-21 13:40:00", "lastOpened": "2026-11-21 13:40:00"},
        {
            "ref": "acme-2026-12",
            "views": "2",
            "firstOpened": "2026-11-21 12:01:00",
            "lastOpened": "2026-11-21 13:30:00",
        },
        {"ref": "globex", "views": "1", "firstOpened": "2026-11-21 12:30:00", "lastOpened": "2026-11-21 12:30:00"},
    ]


def test_downloads_are_counted_per_utc_day() -> None:
    events = [
        _event(1, message=catalog.DOWNLOAD_LOG_MESSAGE, downloads=1),
        _event(2, message="cold start", import_ms=120.0),
        _event(721, message=catalog.DOWNLOAD_LOG_MESSAGE, downloads=1),
        _event(760, message=catalog.DOWNLOAD_LOG_MESSAGE, downloads=1),
    ]
    rows = logs_insights.run(logs_insights.parse(DOWNLOADS_QUERY), events)
    assert rows == [
        {"bin(1d)": "2026-11-21 00:00:00", "downloads": "1"},
        {"bin(1d)": "2026-11-22 00:00:00", "downloads": "2"},
    ]


@pytest.mark.parametrize(
    "query",
    [
        "fields a | parse @message '* *' as b, c",
        "filter a like /x/",
        "stats count(*) by a, b",
        "stats count(*) by a",
        "stats count_distinct(a) as n by a",
    ],
)
def test_a_query_outside_the_subset_is_refused_not_shown_wrong(query: str) -> None:
    with pytest.raises(logs_insights.UnsupportedQueryError):
        logs_insights.run(logs_insights.parse(query), [_event(0, a="x")])
