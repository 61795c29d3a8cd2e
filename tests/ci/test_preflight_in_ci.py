"""The deploy job runs `make preflight`'s checks with the deploy credentials, before `cdk deploy`; a failing check
fails the step (and so stops the run)."""

from __future__ import annotations

import shlex

from tests.ci.test_workflows import CI, load_workflow


def test_the_deploy_job_runs_the_preflight_between_credentials_and_deploy() -> None:
    steps = load_workflow(CI)["jobs"]["deploy"]["steps"]
    names = [str(step.get("name") or step.get("uses", "")) for step in steps]
    credentials = next(i for i, name in enumerate(names) if name.startswith("aws-actions/configure-aws-credentials@"))
    preflight = names.index("Preflight")
    deploy = names.index("cdk deploy")
    assert credentials < preflight < deploy
    command = shlex.split(steps[preflight]["run"])
    assert command[:3] == [".venv/bin/python", "-m", "tools.preflight"]
    # Read through the bootstrap lookup role (the deploy role itself reads nothing)
    assert "--lookup-role" in command
    # No `|| true`, no continue-on-error: a failure stops the job
    assert "continue-on-error" not in steps[preflight]
    assert "||" not in steps[preflight]["run"]
