"""The whole preflight: an all-clear account, one broken check among working ones, the credentials gate, checks
that cannot run, and the lookup role."""

from __future__ import annotations

from collections.abc import Callable

from infra.config import REPO_ROOT
from tests.unit.preflight.conftest import ACCOUNT, OWNED, REGION, Account, make_config, owned_config
from tools.preflight.core import Clients
from tools.preflight.runner import CHECKS, run


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
    assert code == 1
    assert (
        "FAIL  GitHub OIDC provider: not checked: ListOpenIDConnectProviders: ServiceFailure: try again later" in output
    )
    assert "PASS  visits table" in output
    assert "Traceback" not in output


def test_credentials_of_another_account_stop_the_run(account: Account) -> None:
    code, output = _run(account, account="210987654321")
    assert code == 1
    assert "FAIL  credentials" in output
    assert "CDK bootstrap" not in output


def test_the_deploy_docs_list_every_check() -> None:
    section = (REPO_ROOT / "docs" / "deploy.md").read_text().split("## make preflight", 1)[1]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")]
    assert rows[2:] == [check.title for check in CHECKS]


def test_the_lookup_role_is_the_one_cdk_bootstrap_names_and_is_assumed(account: Account) -> None:
    # Given moto's STS, which records whom it lets assume what
    clients = Clients(overrides=account.overrides).through_lookup_role(make_config(), {})
    # Then the clients read as the lookup role of the default qualifier
    identity = clients("sts", REGION).get_caller_identity()
    assert identity["Arn"].startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/cdk-hnb659fds-lookup-role-{ACCOUNT}-{REGION}/"
    )


def test_a_check_that_cannot_run_fails_naming_the_permission(ready: Callable[..., Account]) -> None:
    # Given credentials without ssm:GetParameter
    account = ready()
    ssm = account.stub("ssm", "get_parameter", region=REGION)
    ssm.add_client_error("get_parameter", "AccessDeniedException", "not authorized", 400)
    # When the preflight runs
    code, output = _run(account)
    # Then the check that could not run fails, naming the permission: the preflight never passes blind
    assert code == 1
    assert "FAIL  Powertools layer: not checked: these credentials may not call ssm:GetParameter" in output
