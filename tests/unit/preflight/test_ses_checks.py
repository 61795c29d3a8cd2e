"""SES: the sender identity the stack owns, sandbox recipients (moto; Stubber for GetAccount,
which moto lacks, and for stack resources of type AWS::SES::EmailIdentity, which moto's CloudFormation skips)."""

from __future__ import annotations

from tests.unit.preflight.conftest import REGION, Account, make_config
from tools.preflight import ses as checks
from tools.preflight.core import Status

SENDER, RECIPIENTS = checks.CHECKS
SENDER_EMAIL = "alerts@example.com"
OWNER = "owner@example.com"


def test_no_sender_identity_before_the_first_deploy_passes(account: Account) -> None:
    outcome = account.run(SENDER)
    assert outcome.status is Status.PASS
    assert f"the stack creates it; SES emails a verification link to {SENDER_EMAIL} at deploy" in outcome.message


def test_a_sender_identity_made_by_hand_fails_with_the_delete_command(account: Account) -> None:
    # Given the identity the stack would create exists, and no stack owns it
    account.identity(SENDER_EMAIL, verified=True)
    outcome = account.run(SENDER)
    assert outcome.status is Status.FAIL
    assert "AlreadyExists" in outcome.message
    assert outcome.fix == f"aws sesv2 delete-email-identity --region {REGION} --email-identity {SENDER_EMAIL}"
    assert "creates the identity again" in outcome.note


def test_a_hand_made_identity_next_to_a_stack_that_does_not_own_it_fails(account: Account) -> None:
    account.identity(SENDER_EMAIL, verified=True)
    account.create_stack("ResumeBackend")
    assert account.run(SENDER).status is Status.FAIL


def test_the_stacks_own_verified_identity_passes(account: Account) -> None:
    account.identity(SENDER_EMAIL, verified=True)
    account.create_stack("ResumeBackend")
    account.stack_resources("ResumeBackend", (checks.IDENTITY_RESOURCE_TYPE, SENDER_EMAIL))
    assert account.run(SENDER).status is Status.PASS


def test_the_stacks_own_unverified_identity_says_click_the_link(account: Account) -> None:
    account.identity(SENDER_EMAIL, verified=False)
    account.create_stack("ResumeBackend")
    account.stack_resources("ResumeBackend", (checks.IDENTITY_RESOURCE_TYPE, SENDER_EMAIL))
    outcome = account.run(SENDER)
    assert outcome.status is Status.WARN
    assert outcome.fix.startswith(f"click the link SES sent to {SENDER_EMAIL}")


def test_a_verified_domain_is_no_conflict_and_lets_ses_send(account: Account) -> None:
    account.identity("example.com", verified=True)
    outcome = account.run(SENDER)
    assert outcome.status is Status.PASS
    assert "verified domain example.com" in outcome.message


def test_recipients_need_nothing_with_production_access(account: Account) -> None:
    account.ses_account(production=True)
    assert account.run(RECIPIENTS).status is Status.PASS


def test_an_unverified_recipient_in_the_sandbox_fails_with_the_create_command(account: Account) -> None:
    account.ses_account(production=False)
    outcome = account.run(RECIPIENTS)
    assert outcome.status is Status.FAIL
    assert OWNER in outcome.message
    assert outcome.fix == f"aws sesv2 create-email-identity --region {REGION} --email-identity {OWNER}"
    assert "click the link" in outcome.note
    assert "Request production access" in outcome.note


def test_a_recipient_whose_identity_waits_for_its_click_is_told_so(account: Account) -> None:
    account.ses_account(production=False)
    account.identity(OWNER, verified=False)
    outcome = account.run(RECIPIENTS)
    assert outcome.status is Status.FAIL
    assert "click the link SES sent to owner@example.com" in outcome.fix


def test_verified_recipients_in_the_sandbox_pass(account: Account) -> None:
    account.ses_account(production=False)
    account.identity(OWNER, verified=True)
    assert account.run(RECIPIENTS).status is Status.PASS


def test_a_recipient_on_a_verified_domain_passes(account: Account) -> None:
    account.ses_account(production=False)
    account.identity("example.com", verified=True)
    assert account.run(RECIPIENTS).status is Status.PASS


def test_the_sender_as_recipient_is_never_told_to_create_the_stacks_identity(account: Account) -> None:
    # Given the sandbox, and the sender (whose identity the stack creates) as the only recipient
    account.ses_account(production=False)
    outcome = account.run(RECIPIENTS, make_config(alert_recipients=[SENDER_EMAIL]))
    # Then it waits for the link the deploy sends, instead of a hand-made identity that would break the deploy
    assert outcome.status is Status.WARN
    assert "create-email-identity" not in outcome.fix
