"""Credentials, CDK bootstrap and the application stack's state, on moto."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.preflight.conftest import ACCOUNT, REGION, Account, make_config
from tools.preflight import account as checks
from tools.preflight.core import Clients, Context, Status, run_check

CREDENTIALS, BOOTSTRAP, STACK = checks.CHECKS


def test_credentials_of_the_configured_account_pass(account: Account) -> None:
    outcome = account.run(CREDENTIALS)
    assert outcome.status is Status.PASS
    assert ACCOUNT in outcome.message


def test_credentials_of_another_account_fail_naming_both(account: Account) -> None:
    outcome = account.run(CREDENTIALS, make_config(account="210987654321"))
    assert outcome.status is Status.FAIL
    assert "for account 123456789012" in outcome.message
    assert "config.account is 210987654321" in outcome.message
    assert "AWS_PROFILE" in outcome.fix


def test_no_credentials_fail_with_the_way_to_get_some(account: Account) -> None:
    stubber = account.stub("sts", "get_caller_identity")
    stubber.add_client_error(
        "get_caller_identity", "ExpiredToken", "The security token included in the request is expired"
    )
    outcome = account.run(CREDENTIALS)
    assert outcome.status is Status.FAIL
    assert "ExpiredToken" in outcome.message
    assert "aws configure sso" in outcome.fix


def test_missing_credentials_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given no credentials anywhere boto3 looks (and no moto, which would give fake ones)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    context = Context(make_config(), Clients())
    # Then the check fails naming the problem, without a traceback
    outcome = run_check(CREDENTIALS, context)
    assert outcome.status is Status.FAIL
    assert "Unable to locate credentials" in outcome.message


def test_no_bootstrap_stack_fails_with_cdk_bootstrap(account: Account) -> None:
    outcome = account.run(BOOTSTRAP)
    assert outcome.status is Status.FAIL
    assert "CDKToolkit" in outcome.message
    assert outcome.fix == f"npx cdk bootstrap aws://{ACCOUNT}/{REGION}"


def test_a_bootstrap_stack_passes_with_its_version(account: Account) -> None:
    account.bootstrap(version=30)
    outcome = account.run(BOOTSTRAP)
    assert outcome.status is Status.PASS
    assert "version 30" in outcome.message


def test_a_broken_bootstrap_stack_fails(account: Account) -> None:
    account.bootstrap()
    account.set_stack_status("CDKToolkit", "UPDATE_ROLLBACK_FAILED")
    outcome = account.run(BOOTSTRAP)
    assert outcome.status is Status.FAIL
    assert "UPDATE_ROLLBACK_FAILED" in outcome.message


def test_no_application_stack_is_a_first_deploy(account: Account) -> None:
    outcome = account.run(STACK)
    assert outcome.status is Status.PASS
    assert "first deploy" in outcome.message


@pytest.mark.parametrize(
    ("status", "mark", "fix"),
    [
        ("CREATE_COMPLETE", Status.PASS, ""),
        ("UPDATE_ROLLBACK_COMPLETE", Status.PASS, ""),
        ("REVIEW_IN_PROGRESS", Status.PASS, ""),
        ("ROLLBACK_COMPLETE", Status.PASS, ""),  # a failed first create: cdk deploy replaces it
        ("UPDATE_IN_PROGRESS", Status.FAIL, "aws cloudformation describe-stacks"),
        ("CREATE_IN_PROGRESS", Status.FAIL, "aws cloudformation describe-stacks"),
        ("UPDATE_ROLLBACK_FAILED", Status.FAIL, "aws cloudformation continue-update-rollback --region eu-west-1"),
        ("DELETE_FAILED", Status.FAIL, "aws cloudformation delete-stack --region eu-west-1 --stack-name ResumeBackend"),
        (
            "ROLLBACK_FAILED",
            Status.FAIL,
            "aws cloudformation delete-stack --region eu-west-1 --stack-name ResumeBackend",
        ),
    ],
)
def test_the_application_stack_state(account: Account, status: str, mark: Status, fix: str) -> None:
    account.create_stack("ResumeBackend")
    account.set_stack_status("ResumeBackend", status)
    outcome = account.run(STACK)
    assert outcome.status is mark
    # (a stack the deploy creates anew is named with its state too, not as absent)
    assert status in outcome.message
    assert outcome.fix.startswith(fix)
