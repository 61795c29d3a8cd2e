"""The local alarm evaluator follows CloudWatch's rules, and publishes the message CloudWatch would."""

from __future__ import annotations

import json

import pytest

from functions.notifier.alarm_message import parse_alarm_message
from stack_model.alarms import Alarm, Metric
from tools.local.cloudwatch.alarms import AlarmDefinition, AlarmEvaluator, reduce
from tools.local.cloudwatch.metrics import MetricStore

PERIOD = 60
NOW = 1_000_000.0


def spike_alarm(treat_missing_data: str = "notBreaching", statistic: str = "Sum") -> AlarmDefinition:
    return AlarmDefinition(
        Alarm(
            logical_id="Spike",
            name="Stack-api-request-spike",
            description="Too many requests",
            metric=Metric("AWS/ApiGateway", "Count", {"ApiId": "api"}, statistic, PERIOD),
            math_metrics=(),
            evaluation_periods=3,
            datapoints_to_alarm=2,
            threshold=10,
            comparison="GreaterThanThreshold",
            treat_missing_data=treat_missing_data,
            alarm_actions=("arn:aws:sns:us-east-1:123456789012:alarms",),
            ok_actions=("arn:aws:sns:us-east-1:123456789012:alarms",),
        )
    )


def _record(store: MetricStore, periods_ago: int, total: int) -> None:
    # `periods_ago` 1 is the newest complete period before NOW.
    at = NOW - periods_ago * PERIOD + 1
    for _ in range(total):
        store.record("AWS/ApiGateway", "Count", {"ApiId": "api"}, 1, timestamp=at)


def _state_after(alarm: AlarmDefinition, store: MetricStore) -> str:
    AlarmEvaluator([alarm], store).evaluate(now=NOW)
    return alarm.state


def test_two_breaching_periods_out_of_three_alarm() -> None:
    store = MetricStore()
    _record(store, 2, 11)
    _record(store, 1, 20)
    assert _state_after(spike_alarm(), store) == "ALARM"


def test_a_single_blip_does_not_alarm() -> None:
    store = MetricStore()
    _record(store, 3, 2)
    _record(store, 2, 50)
    _record(store, 1, 3)
    assert _state_after(spike_alarm(), store) == "OK"


def test_a_value_equal_to_the_threshold_does_not_cross_greater_than() -> None:
    store = MetricStore()
    _record(store, 2, 10)
    _record(store, 1, 10)
    assert _state_after(spike_alarm(), store) == "OK"


@pytest.mark.parametrize(
    ("treatment", "state"),
    [("notBreaching", "OK"), ("breaching", "ALARM"), ("missing", "INSUFFICIENT_DATA"), ("ignore", "INSUFFICIENT_DATA")],
)
def test_missing_data_is_treated_as_configured(treatment: str, state: str) -> None:
    # A quiet site: no datapoint at all in the evaluated periods
    assert _state_after(spike_alarm(treatment), MetricStore()) == state


def test_ignore_keeps_the_current_state_through_silence() -> None:
    alarm = spike_alarm("ignore")
    alarm.state = "ALARM"
    assert _state_after(alarm, MetricStore()) == "ALARM"


def test_percentiles_reduce_like_cloudwatch() -> None:
    values = [float(v) for v in range(1, 101)]
    assert reduce(values, "p99") == 99.0
    assert reduce(values, "p50") == 50.0
    assert reduce(values, "Sum") == 5050.0
    assert reduce(values, "SampleCount") == 100.0


def test_the_published_message_is_one_the_notifier_reads() -> None:
    store = MetricStore()
    _record(store, 2, 11)
    _record(store, 1, 20)
    (change,) = AlarmEvaluator([spike_alarm()], store).evaluate(now=NOW)
    parsed = parse_alarm_message(json.dumps(change.cloudwatch_message()))
    assert parsed.alarm_name == "Stack-api-request-spike"
    assert parsed.new_state.value == "ALARM"
    assert parsed.old_state is not None
    assert parsed.old_state.value == "INSUFFICIENT_DATA"
    assert "2 out of the last 3 datapoints" in (parsed.reason or "")
    # And it quotes the datapoints as CloudWatch does, newest first with their times, so the notifier has the figure
    assert parsed.datapoints == (20.0, 11.0)


def test_the_email_subscriptions_text_is_cloudwatchs_rendering_not_the_json() -> None:
    # Given an alarm that fired on 2 of its last 3 periods
    store = MetricStore()
    _record(store, 2, 11)
    _record(store, 1, 20)
    (change,) = AlarmEvaluator([spike_alarm()], store).evaluate(now=NOW)
    # When CloudWatch renders it for an email subscriber
    text = change.email_text()
    # Then it reads as AWS's email does: the sentence, the console link, its sections, the actions
    assert text.startswith(
        'You are receiving this email because your Amazon CloudWatch Alarm "Stack-api-request-spike" in the '
        'US East (N. Virginia) region has entered the ALARM state, because "Threshold Crossed: 2 out of the last 3'
    )
    assert "View this alarm in the AWS Management Console:\nhttps://us-east-1.console.aws.amazon.com/" in text
    assert "- State Change:               INSUFFICIENT_DATA -> ALARM" in text
    assert (
        "- The alarm is in the ALARM state when the metric is GreaterThanThreshold 10.0 for at least 2 of the last "
        "3 period(s) of 60 seconds." in text
    )
    assert "- Dimensions:                          [ApiId = api]" in text
    assert "- ALARM: [arn:aws:sns:us-east-1:123456789012:alarms]" in text
    assert "{" not in text
