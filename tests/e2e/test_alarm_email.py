"""The alarm path on the local system: a usage spike fires the alarm, its email arrives, and so does the
resolved one — through the same alarm definitions, notifier and SES calls that CDK deploys.

The system runs as `make dev` does, in its own process (the emulator's state is per process), configured from
the command line: 5-minute periods scaled to 6 s and the usage threshold lowered to a test-sized burst.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from functions.common import catalog
from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from tests.support.ports import free_port_base
from tools.local.drills.drill import burst

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PERIOD_SCALE = 0.02
REQUESTS_THRESHOLD = 30


@pytest.fixture(scope="module")
def dev_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    base = free_port_base()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.local",
            "--port-base",
            str(base),
            "--state-dir",
            str(tmp_path_factory.mktemp("alarms")),
            "--period-scale",
            str(PERIOD_SCALE),
            "--config",
            f"alarm_thresholds.api_requests_per_5_minutes={REQUESTS_THRESHOLD}",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "Press Ctrl-C" in line:
            break
    yield f"http://127.0.0.1:{base + 1}", f"http://127.0.0.1:{base + 3}"
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)


def _wait_for_email(console: str, prefix: str, alarm: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    subjects: list[str] = []
    while time.monotonic() < deadline:
        outbox = requests.get(f"{console}/api/outbox", timeout=5).json()
        subjects = [sent["subject"] for sent in outbox]
        for sent in outbox:
            if sent["subject"].startswith(f"{prefix} {alarm}"):
                return dict(sent)
        time.sleep(0.3)
    raise AssertionError(f"no {prefix} email for {alarm} within {timeout} s; outbox: {subjects}")


def test_a_usage_spike_emails_the_owner_and_then_the_resolution(dev_urls: tuple[str, str]) -> None:
    api, console = dev_urls
    alarm = catalog.alarm_name("ResumeBackend", API_REQUEST_SPIKE_ALARM)
    # Given a quiet site; When a burst crosses the usage threshold for two periods
    _, statuses = burst(api, rate_per_second=30, seconds=14)
    assert sum(statuses.values()) == 420
    # Then the owner gets the alarm email, to the configured recipient, with text and HTML and the links
    fired = _wait_for_email(console, "[ALARM]", alarm, timeout=20)
    assert fired["channel"] == "ses"
    assert fired["recipients"] == ["owner@example.com"]
    assert "runbook.md#api-request-spike" in fired["text"]
    assert "console.aws.amazon.com/cloudwatch" in fired["text"]
    assert "<html" in fired["html"].lower()
    assert "runbook.md#api-request-spike" in fired["html"]
    # And once traffic is back to normal, the resolved email follows it (in the order the outbox received them,
    # not by comparing clock readings)
    resolved = _wait_for_email(console, "[RESOLVED]", alarm, timeout=30)
    assert resolved["sequence"] > fired["sequence"]
