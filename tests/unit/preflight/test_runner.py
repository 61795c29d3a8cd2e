"""The whole preflight: an all-clear account, one broken check among working ones, the credentials gate, the
CLI's exit codes, the generated docs, and `python -m tools.preflight` against an empty emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from infra.config import REPO_ROOT
from tests.unit.preflight.conftest import ACCOUNT, OWNED, REGION, Account, owned_config
from tools.preflight import docs
from tools.preflight.account import requirement_from_assembly
from tools.preflight.core import BootstrapRequirement, Status, run_check
from tools.preflight.runner import CHECKS, lookup_role_check, run


def _run(target: Account, **config: object) -> tuple[int, str]:
    lines: list[str] = []
    code = run(target.context(owned_config(**config)), CHECKS, lines.append)
    return code, "\n".join(lines)


def test_an_all_clear_account_passes_every_check(ready: Callable[..., Account]) -> None:
    code, output = _run(ready())
    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[:-2]] == ["PASS"] * len(CHECKS)


def test_an_all_clear_sandbox_account_with_verified_recipients_passes(ready: Callable[..., Account]) -> None:
    account = ready(production=False)
    account.identity(OWNED["alert_recipients"][0], verified=True)
    code, output = _run(account)
    assert code == 0, output
    assert "FAIL" not in output
    assert "WARN" not in output


def test_one_failing_check_fails_the_run_and_the_others_still_run(ready: Callable[..., Account]) -> None:
    account = ready()
    account.identity(OWNED["sender_email"], verified=True)  # made by hand: the deploy would fail
    code, output = _run(account)
    assert code == 1
    assert "FAIL  SES sender" in output
    assert "PASS  visits table" in output


def test_an_unexpected_aws_error_is_reported_on_its_line_and_the_others_run(ready: Callable[..., Account]) -> None:
    account = ready()
    stubber = account.stub("iam", "list_open_id_connect_providers", region=REGION)
    stubber.add_client_error("list_open_id_connect_providers", "ServiceFailure", "try again later", 500)
    code, output = _run(account)
    assert code == 0
    assert (
        "WARN  GitHub OIDC provider: not checked: ListOpenIDConnectProviders: ServiceFailure: try again later" in output
    )
    assert "PASS  visits table" in output
    assert "Traceback" not in output


def test_credentials_of_another_account_stop_the_run(account: Account) -> None:
    code, output = _run(account, account="210987654321")
    assert code == 1
    assert "FAIL  credentials" in output
    assert "CDK bootstrap" not in output


def test_the_deploy_docs_list_every_check_as_generated() -> None:
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    assert docs.render().rstrip("\n") in text, "docs/deploy.md is stale: run python -m tools.docs_gen"
    for check in CHECKS:
        assert f"**{check.title}**" in text


def test_the_lookup_role_is_assumed_and_the_checks_after_it_read_through_it(account: Account) -> None:
    context = account.context()
    before = context.clients
    outcome = run_check(lookup_role_check("hnb659fds"), context).outcome
    assert outcome.status is Status.PASS
    assert f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-lookup-role-{ACCOUNT}-{REGION}" in outcome.message
    assert context.clients is not before


def test_a_lookup_role_that_cannot_be_assumed_fails_with_cdk_bootstrap(account: Account) -> None:
    account.stub("sts", "assume_role").add_client_error("assume_role", "AccessDenied", "not authorized", 403)
    outcome = run_check(lookup_role_check("hnb659fds"), account.context()).outcome
    assert outcome.status is Status.FAIL
    assert outcome.fix == f"npx cdk bootstrap aws://{ACCOUNT}/{REGION}"


def test_an_assemblys_requirement_is_the_highest_of_its_artifacts(tmp_path: Path) -> None:
    parameter = "/cdk-bootstrap/custom/version"
    properties = {"bootstrapStackVersionSsmParameter": parameter}
    manifest = {
        "artifacts": {
            "App.assets": {
                "type": "cdk:asset-manifest",
                "properties": {"requiresBootstrapStackVersion": 6, **properties},
            },
            "App": {
                "type": "aws:cloudformation:stack",
                "properties": {"requiresBootstrapStackVersion": 21, **properties},
            },
            "Tree": {"type": "cdk:tree"},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert requirement_from_assembly(tmp_path) == BootstrapRequirement(21, parameter)


def test_an_optional_check_that_cannot_run_warns_and_a_required_one_fails(ready: Callable[..., Account]) -> None:
    # Given credentials without ssm:GetParameter (the bootstrap check then reads CDKToolkit's output instead)
    # and without iam:ListOpenIDConnectProviders
    account = ready()
    ssm = account.stub("ssm", "get_parameter", region=REGION)
    for _ in range(2):
        ssm.add_client_error("get_parameter", "AccessDeniedException", "not authorized", 400)
    iam = account.stub("iam", "list_open_id_connect_providers", region=REGION)
    iam.add_client_error("list_open_id_connect_providers", "AccessDenied", "not authorized", 403)
    # When the preflight runs
    code, output = _run(account)
    # Then the required check that could not run fails, naming the permission: the preflight never passes blind
    assert code == 1
    assert "FAIL  Powertools layer: not checked: these credentials may not call ssm:GetParameter" in output
    # And the optional one warns
    assert (
        "WARN  GitHub OIDC provider: not checked: these credentials may not call iam:ListOpenIDConnectProviders"
        in output
    )
