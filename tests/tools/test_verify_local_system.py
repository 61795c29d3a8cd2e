"""`make verify ARGS=--local` against the real local system (`make dev` in this process), standing in for the deployed
account: it passes on a fresh system, and fails naming the fix when the guard's grant or the sender's verification is
taken away on the emulator. A module of its own: the system enforces IAM on moto for the whole process while it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.common import catalog
from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION
from tools import verify
from tools.local.iam import POLICY_NAME, user_name
from tools.local.system import LocalSystem


def _verify(system: LocalSystem, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = verify.main(["--local", str(system.state_dir)])
    return status, capsys.readouterr().out


def _fail_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL")]


def test_verify_passes_on_a_fresh_local_system(local_system: LocalSystem, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _verify(local_system, capsys)
    assert status == 0, output
    assert "PASS  the throttle guard may update the API stage" in output
    assert "PASS  the SES sender" in output
    # The HTTP checks ran against the local site and API, the CSP and the page's API address included
    assert f"PASS  GET {catalog.VISITS_PATH} answers the count to the site's origin" in output
    # What the local system cannot stand in for says so on its line instead of passing
    assert "SKIP  access log\n      - not checkable locally: the local API writes no access log" in output
    # the guard and the sender pass besides the HTTP checks
    assert output.rstrip().endswith(f"verify: 0 failed, {2 + len(verify.HTTP_CHECKS)} passed, 4 not checkable here")
    # The guard's check made a real UpdateStage with the current limits, through the stage the guard changes
    assert local_system.stage_control is not None
    assert local_system.stage_control.updates[-1] == local_system.api.throttle.limits()


@pytest.fixture
def guard_grant_removed(local_system: LocalSystem) -> Iterator[None]:
    iam = local_system.emulator.client("iam")
    user = user_name(local_system.model.function(catalog.NOTIFIER_HANDLER).logical_id)
    policy = iam.get_user_policy(UserName=user, PolicyName=POLICY_NAME)["PolicyDocument"]
    without_guard = {
        **policy,
        "Statement": [s for s in policy["Statement"] if "apigateway:PATCH" not in s["Action"]],
    }
    iam.put_user_policy(UserName=user, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(without_guard))
    yield
    iam.put_user_policy(UserName=user, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))


def test_verify_fails_naming_the_fix_when_the_guards_grant_is_removed(
    local_system: LocalSystem, guard_grant_removed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = _verify(local_system, capsys)
    assert status == 1
    assert _fail_lines(output) == [
        "FAIL  the throttle guard may update the API stage (UpdateStage with the current limits)"
    ]
    assert "may not call apigateway:PATCH on the stage: the guard cannot engage" in output
    assert "fix: restart `make dev`   # the stack grants it (infra/guard.py)" in output


@pytest.fixture
def sender_unverified(local_system: LocalSystem) -> Iterator[str]:
    from moto.ses.models import ses_backends  # moto's SES has no call that withdraws a verification

    sender = local_system.model.email_identities[0]
    identity = ses_backends[LOCAL_ACCOUNT_ID][LOCAL_REGION].email_identities[sender]
    identity.verified_for_sending_status = False
    yield sender
    identity.verified_for_sending_status = True


def test_verify_fails_naming_the_fix_when_the_sender_is_unverified(
    local_system: LocalSystem, sender_unverified: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = _verify(local_system, capsys)
    assert status == 1
    assert _fail_lines(output) == [f"FAIL  the SES sender {sender_unverified} is verified"]
    assert f"{sender_unverified} is not verified: no alarm email can be sent" in output
    assert "aws ses verify-email-identity --region" in output
    assert f"--email-address {sender_unverified}" in output


def test_verify_without_a_running_local_system_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.main(["--local", str(tmp_path)]) == verify.EXIT_USAGE
    assert "start `make dev` first" in capsys.readouterr().err
