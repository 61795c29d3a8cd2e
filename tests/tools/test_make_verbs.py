"""Every verb of the Makefile runs to completion, as a newcomer runs it from a clean clone.

Each test runs the exact commands the Makefile runs for the verb (read with `make -n`, so a changed recipe is
tested as changed), in a subprocess with a timeout, and asserts it ends without a traceback. `make dev` (start,
a visit, Ctrl-C) is tests/tools/test_make_dev.py's; here it serves `make digest`. Kept cheap: they share the
12-minute budget of `make test`.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.ports import free_port_base

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
STAMP = ".venv/.installed"
"""`make setup`'s stamp, taken as up to date: the test runs the verb, it installs nothing."""


def recipe(verb: str, args: str = "") -> str:
    """The shell commands `make <verb> ARGS=<args>` runs, as make prints them."""
    printed = subprocess.run(
        ["make", "-s", "-n", "-o", STAMP, verb, f"ARGS={args}"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return " && ".join(line for line in printed.stdout.splitlines() if line.strip())


def run_verb(verb: str, args: str = "", timeout: int = 240) -> subprocess.CompletedProcess[str]:
    # NOTE: no AWS_ENDPOINT_URL* from the tests' environment: the verb sees what a developer's shell has
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    result = subprocess.run(
        ["bash", "-c", recipe(verb, args)],
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
    # Then it reaches its last step, the DynamoDB cost of each request; its exit status says whether the
    # targets were met on this (busy, shared) machine, which is the benchmark's verdict, not the test's
    assert "DynamoDB per request" in result.stdout, result.stdout + result.stderr
    assert result.returncode in (0, 1)


def test_make_preflight_runs_to_its_report_without_aws() -> None:
    # Given no AWS account reachable (no network here)
    # When `make preflight` runs; Then it prints its report of checks and no traceback (exit rules: a later issue)
    result = run_verb("preflight", timeout=300)
    assert "credentials" in result.stdout, result.stdout + result.stderr


def test_make_drill_runs_to_its_report() -> None:
    # When the default drill runs against a fresh local system; Then it ends, reporting, without a traceback
    result = run_verb("drill", timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()


@pytest.mark.xfail(
    strict=True,
    reason="found here, not fixed yet: make dev prints a werkzeug 'Error on request' traceback when stopped with "
    "Ctrl-C after make digest ran; the digest itself is sent (exit 0)",
)
def test_make_digest_against_a_running_make_dev(tmp_path: Path) -> None:
    # Given `make dev` running on free ports
    base = free_port_base()
    dev = subprocess.Popen(
        ["bash", "-c", "exec " + recipe("dev", f"--port-base {base} --state-dir {tmp_path / 'state'}")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert dev.stdout is not None
        started = []
        for line in dev.stdout:
            started.append(line)
            if "Press Ctrl-C" in line:
                break
        else:
            raise AssertionError("make dev did not start:\n" + "".join(started))
        # And one visit answered
        visitor = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
        assert requests.post(f"http://127.0.0.1:{base + 1}/visits", headers=visitor, timeout=10).status_code == 200
        # When `make digest` runs against it; Then the digest is sent
        result = run_verb("digest", f"--port-base {base}", timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        rest, _ = dev.communicate(timeout=30)
    # And `make dev` stops cleanly on Ctrl-C
    assert dev.returncode == 0, rest
    assert "Traceback" not in rest
