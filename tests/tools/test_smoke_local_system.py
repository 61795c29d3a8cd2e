"""The smoke test against the real local system (`make dev` in this process). A module of its own: the local system
enforces IAM on moto for the whole process while it runs (tools/local/emulator.py), so the stand-in deployments of
test_smoke.py, whose emulator has no IAM users, start after it stopped."""

from __future__ import annotations

from tests.tools.test_smoke import run_smoke_command
from tools import smoke
from tools.local.system import LocalSystem


def test_smoke_passes_against_the_local_system(local_system: LocalSystem) -> None:
    # The local site serves security_headers(<its API>) and the page frontend/build.py writes, so every
    # check runs against the real thing, the CSP and the page's API address included
    result = run_smoke_command("--api-url", local_system.api_url, "--site-url", local_system.site_origin + "/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"smoke test passed: {len(smoke.CHECKS)} passed, 0 failed" in result.stdout


def test_smoke_fails_against_the_local_system_when_its_api_is_unreachable(local_system: LocalSystem) -> None:
    result = run_smoke_command("--api-url", "http://127.0.0.1:9", "--site-url", local_system.site_origin + "/")
    assert result.returncode != 0
    assert "visits" in (result.stdout + result.stderr).lower()
