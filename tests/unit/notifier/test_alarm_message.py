"""Reading CloudWatch alarm notifications: every shape CloudWatch sends, and what is not one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from functions.notifier.alarm_message import AlarmState, UnreadableAlarmMessageError, parse_alarm_message
from tests.support import alarm_events


def test_single_metric_alarm_is_read_with_its_trigger_and_values() -> None:
    # Given the notification of a threshold alarm on one metric
    message = alarm_events.metric_alarm(
        "ResumeBackend-api-5xx-errors", values=(7.0, 6.0), dimensions={"ApiId": "abc"}, threshold=5.0
    )
    # When it is read
    change = parse_alarm_message(json.dumps(message))
    # Then every field the email needs is there, typed
    assert change.alarm_name == "ResumeBackend-api-5xx-errors"
    assert (change.old_state, change.new_state) == (AlarmState.OK, AlarmState.ALARM)
    assert change.changed_at == datetime(2024, 5, 1, 12, 5, 0, 123000, tzinfo=UTC)
    assert (change.account_id, change.region) == (alarm_events.ACCOUNT_ID, alarm_events.REGION)
    assert change.datapoints == (7.0, 6.0)
    trigger = change.trigger
    assert trigger is not None
    assert trigger.metric is not None
    assert (trigger.metric.namespace, trigger.metric.name, trigger.metric.statistic) == ("AWS/ApiGateway", "5xx", "Sum")
    assert trigger.metric.dimensions == (("ApiId", "abc"),)
    assert (trigger.threshold, trigger.comparison_operator) == (5.0, "GreaterThanOrEqualToThreshold")
    assert (trigger.period_seconds, trigger.evaluation_periods, trigger.datapoints_to_alarm) == (300, 3, 2)
    assert trigger.treat_missing_data == "notBreaching"


@pytest.mark.parametrize(
    ("statistic", "expected"), [("Sum", "Sum"), ("Average", "Average"), ("SampleCount", "SampleCount"), ("p99", "p99")]
)
def test_statistics_are_named_as_in_alarm_definitions(statistic: str, expected: str) -> None:
    # CloudWatch writes simple statistics in capitals (SUM, SAMPLE_COUNT) and percentiles as ExtendedStatistic.
    message = alarm_events.metric_alarm("a", statistic=statistic)
    if statistic == "SampleCount":
        message["Trigger"]["Statistic"] = "SAMPLE_COUNT"
    change = parse_alarm_message(json.dumps(message))
    assert change.trigger is not None
    assert change.trigger.metric is not None
    assert change.trigger.metric.statistic == expected


def test_reason_with_values_in_scientific_notation_and_negative() -> None:
    message = alarm_events.metric_alarm("a", reason="Threshold Crossed: 1 datapoint [1.5E-4 (01/05/24 12:00:00)] x")
    assert parse_alarm_message(json.dumps(message)).datapoints == (0.00015,)
    message = alarm_events.metric_alarm("a", reason="Threshold Crossed: 1 datapoint [-2.0 (01/05/24 12:00:00)] x")
    assert parse_alarm_message(json.dumps(message)).datapoints == (-2.0,)


def test_a_minimal_alarm_message_is_still_readable() -> None:
    # Only the name and the new state are required; a trimmed or future message must not be refused.
    change = parse_alarm_message('{"AlarmName": "x", "NewStateValue": "OK", "Trigger": "odd", "StateChangeTime": 5}')
    assert change.new_state is AlarmState.OK
    assert (change.old_state, change.trigger, change.changed_at, change.region) == (None, None, None, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not JSON"),
        ("ALARM!", "not JSON"),
        ("42", "not an object"),
        ('{"NewStateValue": "ALARM"}', "no AlarmName"),
        ('{"AlarmName": "", "NewStateValue": "ALARM"}', "no AlarmName"),
        ('{"AlarmName": "x"}', "not an alarm state"),
        ('{"AlarmName": "x", "NewStateValue": "alarm"}', "not an alarm state"),
    ],
)
def test_what_is_not_an_alarm_notification_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(UnreadableAlarmMessageError, match=problem):
        parse_alarm_message(text)
