"""`make dev` as a newcomer runs it: started as a process, reached over HTTP, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import free_port_base

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_make_dev_serves_the_site_and_api_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    base = free_port_base()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port-base", str(base), "--state-dir", str(tmp_path / "state")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so we can check nothing of it is left
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        output = "".join(lines)
        # Every URL is printed on start
        assert f"http://127.0.0.1:{base + 2}/" in output, output
        assert f"http://127.0.0.1:{base + 1}/visits" in output
        browser = {"user-agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
        answer = requests.post(f"http://127.0.0.1:{base + 1}/visits", headers=browser, timeout=5).json()
        assert answer == {"count": 1, "unique_visitors": 1, "today": {"count": 1, "unique_visitors": 1}}
        assert requests.get(f"http://127.0.0.1:{base + 2}/", timeout=5).status_code == 200
        assert requests.get(f"http://127.0.0.1:{base + 3}/outbox", timeout=5).status_code == 200
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group, children included.
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0, rest
    assert "Traceback" not in rest
    # Nothing of the process group is left behind
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "infra.local", "--port-base", str(port), "--state-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def _run_dev_once(state_dir: Path, *extra: str) -> int:
    """Starts `make dev`, records one visit, stops it with SIGINT; returns the count it answered."""
    base = free_port_base()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port-base", str(base), "--state-dir", str(state_dir), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Press Ctrl-C" in line:
                break
        browser = {"user-agent": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
        count = int(requests.post(f"http://127.0.0.1:{base + 1}/visits", headers=browser, timeout=5).json()["count"])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0
    return count


def test_state_is_kept_between_runs_and_reset_with_one_flag(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert _run_dev_once(state) == 1
    assert _run_dev_once(state) == 2
    assert _run_dev_once(state, "--reset") == 1
