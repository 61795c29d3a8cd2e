"""A config error ends every entry point with its message and exit status 2, never a traceback.

Each command runs as a user runs it, in a process of its own, with a value out of range given the way overrides
reach that command: `--config KEY=VALUE` for the local system and the drill, `CDK_CONTEXT_JSON` (what the CDK
CLI passes for `cdk.json` plus `-c config.KEY=VALUE`) for the apps and the dashboard tooling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import app_context
from tests.support.ports import free_port_base

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
OUT_OF_RANGE = ("counter_timeout_seconds", "99")
MESSAGE = "config key 'counter_timeout_seconds': 99 is not a whole number from 1 to 29"


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=os.environ | {"CDK_OUTDIR": str(tmp_path / "cdk.out")} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _bad_context() -> str:
    key, value = OUT_OF_RANGE
    return json.dumps(app_context() | {f"config.{key}": value})


def _assert_config_error(result: subprocess.CompletedProcess[str], message: str = MESSAGE) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("app", ["infra.app", "infra.deploy_role", "tools.dashboard"])
def test_a_bad_context_override_is_a_clear_error(app: str, tmp_path: Path) -> None:
    _assert_config_error(_run([app], tmp_path, CDK_CONTEXT_JSON=_bad_context()))


@pytest.mark.parametrize("command", ["tools.local", "tools.local.drills.drill"])
def test_a_bad_config_option_of_the_local_system_is_a_clear_error(command: str, tmp_path: Path) -> None:
    # make dev synthesizes the app in a child process; its error must not come back as a CalledProcessError
    key, value = OUT_OF_RANGE
    args = [command, "--port-base", str(free_port_base()), "--config", f"{key}={value}"]
    if command == "tools.local":
        args += ["--state-dir", str(tmp_path / "state")]
    _assert_config_error(_run(args, tmp_path))


def test_a_config_option_that_is_not_key_value_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(["tools.local", "--config", "counter_timeout_seconds"], tmp_path)
    _assert_config_error(result, "--config: invalid config_override value: 'counter_timeout_seconds'")
