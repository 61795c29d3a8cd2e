"""What a site-unavailable alert adds: the probe's latest failed check and the answer it saw, read from the
probe's log line with logs:FilterLogEvents (the alarm's reason holds only numbers). A failed lookup never costs
the alert: the reason then says where to look.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Final

import boto3
from botocore.config import Config

from functions.common import catalog
from functions.notifier.alarm_message import AlarmState
from functions.notifier.alert import Alert

CloudWatchLogsClient = Any  # boto3's `logs` client: no type stubs are installed for it

LOOKBACK: Final = timedelta(hours=2)
"""Two probes of the longest interval config allows (60 minutes) fire the alarm: the failures are in this range."""
MAX_PAGES: Final = 3
FAILURE_PATTERN: Final = f"{{ $.{catalog.PROBE_CHECK_LOG_KEY} = * }}"
"""CloudWatch Logs JSON filter: the probe's failed-check lines only."""
# Two quick attempts, well inside the notifier's timeout.
_LOGS_CONFIG: Final = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 2, "mode": "standard"})


class ProbeFailureDetails:
    """The notifier's enrichment step (it owns its client): a site-unavailable alert going ALARM carries the probe's
    latest failed check and the answer seen."""

    def __init__(self, client: CloudWatchLogsClient, log_group: str) -> None:
        self._client = client
        self.log_group = log_group

    @classmethod
    def from_environment(cls) -> ProbeFailureDetails | None:
        """None when the stack deploys no probe (its log group is not in the environment)."""
        log_group = os.environ.get(catalog.PROBE_LOG_GROUP_ENV)
        return cls(boto3.client("logs", config=_LOGS_CONFIG), log_group) if log_group else None

    def __call__(self, alert: Alert) -> Alert:
        change = alert.change
        site_unavailable = catalog.alarm_name(alert.links.stack_name, catalog.SITE_UNAVAILABLE_ALARM)
        if change is None or change.alarm_name != site_unavailable or change.new_state != AlarmState.ALARM:
            return alert
        try:
            failure = latest_probe_failure(self._client, self.log_group, until=change.changed_at or datetime.now(UTC))
        except Exception as error:  # any failure of the lookup: the alert goes out anyway
            seen = f"could not be read ({type(error).__name__}); see the probe's log group {self.log_group}"
        else:
            seen = failure or f"none found in the probe's log group {self.log_group}"
        return replace(alert, change=replace(change, reason=f"{change.reason}\nLatest failed probe check: {seen}"))


def latest_probe_failure(client: CloudWatchLogsClient, log_group: str, *, until: datetime) -> str | None:
    """`<check>: <answer seen>` of the latest failed check logged up to `until` (None: none in LOOKBACK)."""
    pages = client.get_paginator("filter_log_events").paginate(
        logGroupName=log_group,
        filterPattern=FAILURE_PATTERN,
        startTime=int((until - LOOKBACK).timestamp() * 1000),
        endTime=int(until.timestamp() * 1000) + 60_000,  # the probe's line may be stamped just after the alarm
    )
    latest: tuple[int, dict[str, Any]] | None = None
    for page in islice(pages, MAX_PAGES):
        for event in page.get("events", []):
            record = _record(event.get("message", ""))
            if record is not None and (latest is None or event.get("timestamp", 0) >= latest[0]):
                latest = (event.get("timestamp", 0), record)
    if latest is None:
        return None
    record = latest[1]
    return f"{record[catalog.PROBE_CHECK_LOG_KEY]}: {record.get(catalog.PROBE_RESPONSE_LOG_KEY, 'not logged')}"


def _record(message: str) -> dict[str, Any] | None:
    try:
        record = json.loads(message)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get(catalog.PROBE_CHECK_LOG_KEY), str):
        return None
    return record
