"""Every verb of the Makefile runs to completion, as a newcomer runs it from a clean clone.

Each test runs the exact commands the Makefile runs for the verb (read with `make -n`, so a changed recipe is
tested as changed), in a subprocess with a timeout, and asserts it ends without a traceback. `make dev` (start,
a visit, `make digest` against it, Ctrl-C) is tests/tools/test_make_dev.py's. Kept cheap: they share the
12-minute budget of `make test`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from functions.common import catalog
from stack_model.stack import StackModel
from tools.synth import default_template

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
STAMP = ".venv/.installed"
"""`make setup`'s stamp, taken as up to date: the test runs the verb, it installs nothing."""


def recipe(verb: str, args: str = "", **variables: str) -> str:
    """The shell commands `make <verb> ARGS=<args> NAME=value…` runs, as make prints them."""
    assignments = [f"{name}={value}" for name, value in variables.items()]
    printed = subprocess.run(
        ["make", "-s", "-n", "-o", STAMP, verb, f"ARGS={args}", *assignments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return " && ".join(line for line in printed.stdout.splitlines() if line.strip())


def run_verb(verb: str, args: str = "", timeout: int = 240, **variables: str) -> subprocess.CompletedProcess[str]:
    # NOTE: no AWS_ENDPOINT_URL* from the tests' environment: the verb sees what a developer's shell has
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    result = subprocess.run(
        ["bash", "-c", recipe(verb, args, **variables)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("verb", ["synth", "site", "cost", "dashboard"])
def test_a_build_verb_runs_to_completion(verb: str) -> None:
    # Given a clean clone; When the verb runs; Then it exits 0 without a traceback
    result = run_verb(verb)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_bench_runs_to_its_last_step() -> None:
    # When `make bench` runs (fewer samples than the default; the same steps)
    result = run_verb("bench", "--runs 2 --iterations 200")
    # Then it reaches its last step, the warm overhead; its exit status says whether the targets were met on this
    # (busy, shared) machine, which is the benchmark's verdict, not the test's
    assert "Warm overhead per invocation" in result.stdout, result.stdout + result.stderr
    assert result.returncode in (0, 1)


def test_make_preflight_runs_to_its_report_without_aws() -> None:
    # Given no AWS account reachable (no network here)
    # When `make preflight` runs; Then it prints its report of checks and no traceback (exit rules: a later issue)
    result = run_verb("preflight")
    assert "credentials" in result.stdout, result.stdout + result.stderr


SPIKE_DRILL_ARGS = "--rate 20 --settle 60 --period-scale 0.01 --config alarm_thresholds.api_requests_per_5_minutes=30"
"""The default drill, kept small: 3 s periods and a usage threshold of 30 requests a period, so 20 requests/s fire
the request spike where the documented default needs 67 requests/s for 30 s, which a busy 2-core machine cannot
sustain; each step may wait 60 s more, which only a stalled step uses. The drill's steps, report and exit rules are
the default's."""


def test_make_drill_reports_the_spike_the_guard_and_every_notification_in_order_and_keeps_its_outbox() -> None:
    # When the default drill runs against a fresh local system (a request spike until the throttle guard engages)
    outbox = REPO / "build" / "drill-outbox.html"
    outbox.unlink(missing_ok=True)
    result = run_verb("drill", SPIKE_DRILL_ARGS)
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[-1] == "drill passed"
    # Then it reports what the API answered under the guard: 429 beyond its rate
    under = next(line for line in lines if line.startswith("under the guard ("))
    assert "429: " in under, result.stdout
    # And its timeline shows the alarm firing, the guard engaging, the alarm's email, the release and its email, in
    # that order, each once per time it happened
    spike = f"ResumeBackend-{catalog.API_REQUEST_SPIKE_ALARM}"
    start = lines.index("Timeline (seconds from the start of the request-spike):") + 1
    timeline = lines[start : next(i for i, line in enumerate(lines) if line.startswith("Outbox: "))]

    def first(text: str) -> int:
        return next(i for i, line in enumerate(timeline) if text in line)

    fired, engaged = first(f"{spike} FIRED ("), first("throttle guard engaged")
    alarm_email, resolved = first("email (ses): [ALARM] Traffic spike: "), first(f"{spike} released (")
    resolved_email = first("email (ses): [RESOLVED] Traffic spike: ")
    assert fired < alarm_email < resolved < resolved_email, result.stdout
    assert fired < engaged < resolved, result.stdout
    fired_count = sum(f"{spike} FIRED (" in line for line in timeline)
    assert sum("throttle guard engaged" in line for line in timeline) == fired_count, result.stdout
    # And per alarm: the spike fired and its email reached the outbox; every alarm of the template is named, as
    # fired or as quiet
    assert ", its email at +" in _fired_lines(lines)[spike], result.stdout
    quiet = next(line for line in lines if line.startswith("Did not fire: ")).removeprefix("Did not fire: ")
    alarm_names = [alarm.name for alarm in StackModel.from_template(default_template()).alarms]
    assert sorted([*_fired_lines(lines), *quiet.split(", ")]) == sorted(alarm_names), result.stdout
    # And its outbox outlives the system, as the console's outbox page shows it
    written = next(line for line in lines if line.startswith("Outbox: "))
    assert written == f"Outbox: {written.split(': ')[1]}: {outbox}"
    assert "[ALARM]" in outbox.read_text()


def _fired_lines(lines: list[str]) -> dict[str, str]:
    """The report's `Fired: <alarm> at …, its email at …` lines, by alarm name."""
    fired = (line.removeprefix("Fired: ").partition(" ") for line in lines if line.startswith("Fired: "))
    return {name: rest for name, _, rest in fired}


def test_make_drill_site_down_reports_the_probes_alarm_firing_emailing_and_resolving() -> None:
    # When `make drill SCENARIO=site-down` stops the site of a fresh local system, then starts it again (a probe
    # every 6 s; each step may wait 60 s more, which only a stalled step uses)
    result = run_verb("drill", "--period-scale 0.01 --settle 60", SCENARIO="site-down")
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[-1] == "drill passed"
    # Then its timeline shows site-unavailable firing, its email, the release and the resolved email, in that order
    name = f"ResumeBackend-{catalog.SITE_UNAVAILABLE_ALARM}"
    start = lines.index("Timeline (seconds from the start of the site-down):") + 1
    timeline = lines[start : next(i for i, line in enumerate(lines) if line.startswith("Fired: "))]

    def first(text: str) -> int:
        return next(i for i, line in enumerate(timeline) if text in line)

    fired, resolved = first(f"{name} FIRED ("), first(f"{name} released (")
    alarm_email, resolved_email = first("email (ses): [ALARM] "), first("email (ses): [RESOLVED] ")
    assert fired < alarm_email < resolved < resolved_email, result.stdout
    # And the per-alarm report names it as fired, with the time its email reached the outbox
    assert ", its email at +" in _fired_lines(lines)[name], result.stdout
