"""Background loops (alarm evaluator, table snapshots, schedules) survive a transient emulator error, say so,
and carry on: one hiccup used to end the thread, and local alarms silently stopped."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.unit.local.test_alarms import spike_alarm
from tools.local.cloudwatch.alarms import AlarmEvaluator, AlarmWatch, StateChange
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.loops import BackgroundLoop

HICCUP = EndpointConnectionError(endpoint_url="http://127.0.0.1:4566/")


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_loop_logs_a_failed_round_and_runs_the_next(caplog: pytest.LogCaptureFixture) -> None:
    # Given a job that fails on its second round, as a call to a restarting emulator does
    rounds: list[int] = []

    def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise HICCUP

    loop = BackgroundLoop("alarm evaluator", 0.01, job)
    with caplog.at_level(logging.WARNING, logger="tools.local"):
        loop.start()
        # When it has run a few rounds
        _wait_until(lambda: len(rounds) >= 5)
        ended = loop.stop()
    # Then the failure was logged once, with its cause, the loop went on, and said when it worked again
    assert loop.failures == 1
    assert ended
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("alarm evaluator failed (retrying every 0.01 s): EndpointConnectionError")
    assert messages[1] == "alarm evaluator works again"


def _always_fails() -> None:
    raise HICCUP


def test_the_same_error_in_a_row_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    loop = BackgroundLoop("table snapshots", 1.0, _always_fails)
    with caplog.at_level(logging.WARNING, logger="tools.local"):
        results = [loop.run_once() for _ in range(5)]
    assert results == [False] * 5
    assert loop.failures == 5
    assert len(caplog.records) == 1


def test_the_alarm_loop_survives_a_failed_publish_and_sends_the_email_next_round(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given an alarm about to fire, and an SNS that fails once when it is published
    store = MetricStore()
    alarm = spike_alarm()
    now = time.time()
    for periods_ago in (1, 2):
        store.record("AWS/ApiGateway", "Count", {"ApiId": "api"}, 50, timestamp=now - periods_ago * 60 + 1)
    published: list[str] = []
    attempts: list[str] = []

    def publish(change: StateChange) -> None:
        attempts.append(change.new_state)
        if len(attempts) == 1:
            raise HICCUP
        published.append(change.new_state)

    watch = AlarmWatch(AlarmEvaluator([alarm], store), publish)
    loop = BackgroundLoop("alarm evaluator", 0.01, watch.evaluate)
    with caplog.at_level(logging.WARNING, logger="tools.local"):
        # When the alarm loop runs
        loop.start()
        _wait_until(lambda: bool(published))
        loop.stop()
    # Then the ALARM notification went out on the round after the failure, once, and the failure was reported
    assert alarm.state == "ALARM"
    assert published == ["ALARM"]
    assert attempts == ["ALARM", "ALARM"]
    assert "alarm evaluator failed" in caplog.text
