"""`make drill --scenario site-down` on a fresh local system: the site stops, the probe fails twice, the
site-unavailable alarm fires and emails, the site comes back and the alarm resolves (and emails again).

Bounded: every wait in the drill ends by its own timeout and the process by this test's; nothing here asserts how
long a step took."""

from __future__ import annotations

import subprocess
import sys

from functions.common import catalog
from infra.config import REPO_ROOT
from tests.support.ports import free_port_base

PROCESS_TIMEOUT_SECONDS = 240


def test_site_down_fires_emails_and_resolves() -> None:
    # Given a fresh local system whose probe runs every 6 s (10 minutes x 0.01)
    command = [
        sys.executable,
        "-m",
        "tools.local.drills.drill",
        "--scenario",
        "site-down",
        "--period-scale",
        "0.01",
        "--settle",
        "30",
        "--port-base",
        str(free_port_base()),
    ]
    # When the drill stops the site, then starts it again
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_SECONDS, check=False
    )
    # Then the alarm fired, its email arrived, and both resolved, in that order
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert done.returncode == 0, done.stdout + done.stderr
    name = f"ResumeBackend-{catalog.SITE_UNAVAILABLE_ALARM}"
    fired = lines.index("site stopped → alarm FIRED")
    alarm_email = next(i for i, line in enumerate(lines) if line.startswith(f"email: [ALARM] {name}"))
    resolved = lines.index("site back → alarm RESOLVED")
    resolved_email = next(i for i, line in enumerate(lines) if line.startswith(f"email: [RESOLVED] {name}"))
    assert fired < alarm_email < resolved < resolved_email
    assert lines[-1] == "drill passed"
    # And the email names the failing check and the answer seen (read from the probe's log group on the emulator)
    seen = f"Latest failed probe check: {catalog.PROBE_CHECK_SITE_PAGE}: no answer from http://127.0.0.1:"
    assert any(line.startswith(seen) for line in lines[alarm_email:resolved])
