"""The throttle guard on the local system: a sustained burst fires api-request-spike, the notifier's UpdateStage
lowers the stage throttle the local API enforces (requests beyond the guard's rate get 429) and the email says
so; once the burst is over the alarm goes OK, the configured throttle is back (and admits a burst the guard would
not) and the resolved email says so. The system is the one `make dev` runs (periods scaled to 6 s, the usage
threshold lowered to a test-sized burst); nothing in it is replaced for the test.

Bounded: each wait ends by its own timeout; nothing asserts how long a step took."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from functions.common import catalog
from infra.config import REPO_ROOT
from tests.support.ports import free_port_base
from tools.local.drills.request_spike import PacedSender
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem, Ports

pytestmark = pytest.mark.e2e

PERIOD_SCALE = 0.02
REQUESTS_THRESHOLD = 30
"""Per (scaled) 5 minutes: a burst of 25 requests/s crosses it every 6 s period, guarded or not."""
RATE_PER_SECOND = 25
NORMAL = (20.0, 40)
GUARDED = (2.0, 10)
WAIT_SECONDS = 45.0
GUARDED_SECONDS = 6.0


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    local = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("guard")),
        period_scale=PERIOD_SCALE,
        config_overrides={"alarm_thresholds.api_requests_per_5_minutes": str(REQUESTS_THRESHOLD)},
    )
    local.start()
    yield local
    local.stop()


def _wait(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")


def _email(system: LocalSystem, prefix: str) -> SentEmail | None:
    alarm = catalog.alarm_name("ResumeBackend", catalog.API_REQUEST_SPIKE_ALARM)
    found = [e for e in system.outbox() if e.subject.startswith(f"{prefix} {alarm}")]
    return found[0] if found else None


def _guard_lines(email: SentEmail) -> list[str]:
    return [line for line in email.text.splitlines() if line.startswith("Throttle guard:")]


def _statuses_of_a_burst(url: str, requests_at_once: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=requests_at_once) as pool:
        return list(
            pool.map(
                lambda _: requests.post(url + catalog.VISITS_PATH, timeout=10).status_code, range(requests_at_once)
            )
        )


def test_the_guard_engages_during_a_spike_and_releases_after_it(system: LocalSystem) -> None:
    throttle = system.api.throttle
    assert system.stage_control is not None
    # Given the stage at its configured throttle
    assert throttle.limits() == NORMAL
    # When a sustained burst crosses the usage threshold
    sender = PacedSender(system.api_url, RATE_PER_SECOND).start()
    try:
        _wait(lambda: throttle.limits() == GUARDED, "the guard lowering the stage throttle")
        engaged_at = time.monotonic()
        time.sleep(GUARDED_SECONDS)
        until = time.monotonic()
    finally:
        sender.stop()
    # Then the notifier's UpdateStage set the guard's limits (after the release the alarm's first OK made at
    # start-up, which set the configured ones), and the API answered 429 beyond them
    assert system.stage_control.updates == [NORMAL, GUARDED]
    guarded = sender.statuses(since=engaged_at + 1, until=until)
    assert guarded.get(429, 0) > 0
    assert guarded.get(200, 0) <= GUARDED[0] * (until - engaged_at) + GUARDED[1]
    # And the owner's email says the guard engaged, with the new limits
    alarm_email = _wait(lambda: _email(system, "[ALARM]"), "the [ALARM] email")
    assert isinstance(alarm_email, SentEmail)
    assert _guard_lines(alarm_email) == [
        "Throttle guard: engaged: API stage throttle lowered to 2 requests/s, burst 10"
    ]
    # When the burst is over, Then the alarm goes OK and the configured throttle is back
    _wait(lambda: throttle.limits() == NORMAL, "the guard restoring the stage throttle")
    assert system.stage_control.updates == [NORMAL, GUARDED, NORMAL]
    resolved = _wait(lambda: _email(system, "[RESOLVED]"), "the [RESOLVED] email")
    assert isinstance(resolved, SentEmail)
    assert resolved.sequence > alarm_email.sequence
    assert _guard_lines(resolved) == [
        "Throttle guard: released: API stage throttle restored to 20 requests/s, burst 40"
    ]
    # And the restored throttle admits a burst of 20 at once, which the guard's burst of 10 would not (after the
    # 2 s its bucket takes to refill at 20 requests/s to its burst of 40)
    time.sleep(2)
    assert _statuses_of_a_burst(system.api_url, 20) == [200] * 20


def test_the_request_spike_drill_reports_the_guard_engaging_and_releasing() -> None:
    # Given `make drill SCENARIO=request-spike` on a fresh local system (6 s periods, a test-sized threshold)
    command = [
        sys.executable,
        "-m",
        "tools.local.drills.drill",
        "--scenario",
        "request-spike",
        "--rate",
        "40",
        "--period-scale",
        str(PERIOD_SCALE),
        "--settle",
        "20",
        "--config",
        "alarm_thresholds.api_requests_per_5_minutes=60",
        "--port-base",
        str(free_port_base()),
    ]
    # When it runs
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, check=False)
    # Then it reports, in this order, the guard engaged, the emails saying so, and the configured throttle back
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert done.returncode == 0, done.stdout + done.stderr
    engaged = lines.index("alarm FIRED → guard engaged: stage throttle 2 requests/s, burst 10")
    said_engaged = lines.index("Throttle guard: engaged: API stage throttle lowered to 2 requests/s, burst 10")
    said_released = lines.index("Throttle guard: released: API stage throttle restored to 20 requests/s, burst 40")
    restored = lines.index("burst over → alarm OK → stage throttle 20 requests/s, burst 40")
    assert engaged < said_engaged < said_released < restored
    under_guard = next(line for line in lines if "s under the guard: responses" in line)
    assert "429:" in under_guard
    assert lines[-1] == "drill passed"
