"""site-unavailable alerts name the probe's latest failed check and the answer seen, read from its log group."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.common import catalog
from tests.support.alarm_events import metric_alarm, sns_event
from tests.unit.notifier.conftest import STACK_NAME, Invoke, SentEmail

PROBE_LOG_GROUP = "/aws/lambda/probe-test"
SITE_UNAVAILABLE = catalog.alarm_name(STACK_NAME, catalog.SITE_UNAVAILABLE_ALARM)


NOW = datetime.now(UTC).replace(microsecond=0)
"""When the alarm changed in these tests: CloudWatch Logs refuses events older than 14 days."""


def _probe_line(check: str, seen: str) -> str:
    record = {"level": "WARNING", "message": "probe check failed", "probe_check": check, "response_seen": seen}
    return json.dumps(record)


def _site_unavailable(**fields: Any) -> dict[str, Any]:
    alarm = metric_alarm(
        SITE_UNAVAILABLE, namespace=catalog.METRICS_NAMESPACE, metric_name=catalog.PROBE_FAILURES_METRIC, **fields
    )
    alarm["StateChangeTime"] = NOW.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return alarm


@pytest.fixture
def probe_logs(notifier_env: None, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[tuple[int, str]]], None]:
    """The probe's log group on moto, named in the notifier's environment as infra does."""
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=PROBE_LOG_GROUP)
    logs.create_log_stream(logGroupName=PROBE_LOG_GROUP, logStreamName="probe")
    monkeypatch.setenv(catalog.PROBE_LOG_GROUP_ENV, PROBE_LOG_GROUP)

    def write(lines: list[tuple[int, str]]) -> None:
        """(seconds before the alarm changed, line), oldest first."""
        base = int(NOW.timestamp() * 1000)
        events = [{"timestamp": base - seconds * 1000, "message": line} for seconds, line in lines]
        logs.put_log_events(logGroupName=PROBE_LOG_GROUP, logStreamName="probe", logEvents=events)

    return write


def test_site_unavailable_email_names_the_latest_failed_check_and_the_answer(
    probe_logs: Callable[[list[tuple[int, str]]], None], invoke: Invoke, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given two failed probes logged (an older CSP failure, then the site answering 500) and an unrelated line
    probe_logs(
        [
            (900, _probe_line("security_headers", "no Content-Security-Policy header")),
            (320, json.dumps({"level": "INFO", "message": "probe passed"})),
            (300, _probe_line("site_page", "HTTP 500 from https://main.example.amplifyapp.com/: oops")),
        ]
    )
    # When site-unavailable goes to ALARM
    invoke(sns_event(_site_unavailable()))
    # Then the email quotes the latest failure: the check's name and what was seen
    (sent,) = sent_emails()
    assert (
        "Latest failed probe check: site_page: HTTP 500 from https://main.example.amplifyapp.com/: oops"
        in sent.part("plain")
    )


def test_a_failed_lookup_never_costs_the_alert(
    notifier_env: None, monkeypatch: pytest.MonkeyPatch, invoke: Invoke, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a probe log group that does not exist (or cannot be read)
    monkeypatch.setenv(catalog.PROBE_LOG_GROUP_ENV, "/aws/lambda/missing")
    # When site-unavailable goes to ALARM, Then the email still goes out, saying where to look
    invoke(sns_event(_site_unavailable()))
    (sent,) = sent_emails()
    assert "Latest failed probe check: could not be read" in sent.part("plain")


def test_other_alarms_and_recoveries_are_not_enriched(
    probe_logs: Callable[[list[tuple[int, str]]], None], invoke: Invoke, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    probe_logs([(300, _probe_line("site_page", "HTTP 500"))])
    invoke(sns_event(metric_alarm(f"{STACK_NAME}-api-5xx-errors")))
    invoke(sns_event(_site_unavailable(new_state="OK", old_state="ALARM")))
    assert [("Latest failed probe check" in sent.part("plain")) for sent in sent_emails()] == [False, False]
