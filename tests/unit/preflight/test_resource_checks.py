"""Lambda concurrency, the Powertools layer and hosting, on moto (Stubber for Lambda GetAccountSettings)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest

from infra.lambda_factory import POWERTOOLS_LAYER_PARAMETER
from tests.unit.preflight.conftest import ACCOUNT, LAYER_ARN, REGION, Account, make_config
from tools.preflight import resources as checks
from tools.preflight.core import Status

CONCURRENCY, LAYER, HOSTING = checks.CHECKS
DOMAIN = "www.example.com"


def _account_settings(account: Account, *, limit: int, unreserved: int, operations: tuple[str, ...] = ()) -> None:
    stubber = account.stub("lambda", "get_account_settings", *operations)
    stubber.add_response(
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}},
    )


def test_no_reservation_passes_without_a_call(account: Account) -> None:
    outcome = account.run(CONCURRENCY, make_config(counter_reserved_concurrency=None))
    assert outcome.status is Status.PASS
    assert outcome.message == "no reservation (the stage throttle caps cost)"


def test_a_reservation_on_a_new_account_with_a_quota_of_10_fails(account: Account) -> None:
    _account_settings(account, limit=10, unreserved=10)
    outcome = account.run(CONCURRENCY, make_config(counter_reserved_concurrency=5))
    assert outcome.status is Status.FAIL
    assert "would leave 5 of the account's 10 unreserved" in outcome.message
    assert "counter_reserved_concurrency to null" in outcome.fix
    assert "--quota-code L-B99A9384" in outcome.note


def test_a_reservation_that_leaves_10_passes(account: Account) -> None:
    _account_settings(account, limit=1000, unreserved=1000)
    outcome = account.run(CONCURRENCY, make_config(counter_reserved_concurrency=990))
    assert outcome.status is Status.PASS
    assert "leaves 10 of 1000" in outcome.message


def _function(account: Account, name: str, reserved: int) -> None:
    role = account.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context): pass\n")
    client: Any = account.client("lambda")
    client.create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="app.handler", Code={"ZipFile": code.getvalue()}
    )
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)


def test_the_deployed_stacks_own_reservation_is_given_back_on_update(account: Account) -> None:
    # Given a deployed counter reserving 5 of a quota of 20 (so 15 unreserved)
    account.create_stack("ResumeBackend")
    _function(account, "ResumeBackend-Counter", reserved=5)
    account.stack_resources("ResumeBackend", ("AWS::Lambda::Function", "ResumeBackend-Counter"))
    _account_settings(account, limit=20, unreserved=15)
    # Then reserving 10 again leaves 20 - 10 = 10: fine
    outcome = account.run(CONCURRENCY, make_config(counter_reserved_concurrency=10))
    assert outcome.status is Status.PASS, outcome
    assert "leaves 10 of 20" in outcome.message


def test_a_refused_get_account_settings_is_a_failure_naming_the_permission(account: Account) -> None:
    stubber = account.stub("lambda", "get_account_settings")
    stubber.add_client_error("get_account_settings", "AccessDeniedException", "not authorized", 403)
    outcome = account.run(CONCURRENCY, make_config(counter_reserved_concurrency=5))
    # A reservation the check could not weigh may still fail the deploy: never a pass, nor a mere warning
    assert outcome.status is Status.FAIL
    assert "lambda:GetAccountSettings" in outcome.message
    assert "grant lambda:GetAccountSettings" in outcome.fix


def test_the_powertools_parameter_passes_when_published(account: Account) -> None:
    account.publish_layer()
    outcome = account.run(LAYER)
    assert outcome.status is Status.PASS
    assert POWERTOOLS_LAYER_PARAMETER in outcome.message


def test_a_missing_powertools_parameter_fails(account: Account) -> None:
    outcome = account.run(LAYER)
    assert outcome.status is Status.FAIL
    assert f"{POWERTOOLS_LAYER_PARAMETER} does not exist in {REGION}" in outcome.message
    assert "aws-lambda-powertools" in outcome.fix


def test_a_powertools_parameter_holding_no_layer_version_arn_fails(account: Account) -> None:
    # Given the parameter holding a placeholder where the layer version belongs
    account.publish_layer(f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3:PACKAGE_VERSION")
    outcome = account.run(LAYER)
    # Then the deploy is stopped before CloudFormation fails on the functions
    assert outcome.status is Status.FAIL
    assert "not a layer version ARN" in outcome.message
    assert "aws-lambda-powertools" in outcome.fix


def test_a_powertools_layer_of_another_region_fails(account: Account) -> None:
    account.publish_layer(LAYER_ARN.replace(REGION, "us-east-1"))
    assert account.run(LAYER).status is Status.FAIL


def test_amplify_in_a_region_it_serves_passes(account: Account) -> None:
    assert account.run(HOSTING).status is Status.PASS


def test_amplify_in_a_region_it_does_not_serve_fails(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boto3.session.Session, "get_available_regions", lambda *_, **__: ["us-east-1"])
    outcome = account.run(HOSTING)
    assert outcome.status is Status.FAIL
    assert '"hosting": "s3-cloudfront"' in outcome.fix


def _cloudfront(arn: str) -> Any:
    return make_config(hosting="s3-cloudfront", site_domain=DOMAIN, site_certificate_arn=arn)


def _certificate(account: Account, name: str, *alternatives: str, issued: bool = True) -> str:
    acm: Any = account.client("acm", "us-east-1")
    arn: str = acm.request_certificate(
        DomainName=name, SubjectAlternativeNames=[name, *alternatives], ValidationMethod="DNS"
    )["CertificateArn"]
    if issued:
        from moto.acm.models import acm_backends

        acm_backends[ACCOUNT]["us-east-1"]._certificates[arn].status = "ISSUED"
    return arn


def test_cloudfront_without_a_domain_needs_no_certificate(account: Account) -> None:
    outcome = account.run(HOSTING, make_config(hosting="s3-cloudfront", site_domain=None))
    assert outcome.status is Status.PASS


@pytest.mark.parametrize("name", [DOMAIN, "*.example.com"])
def test_an_issued_certificate_covering_the_domain_passes(account: Account, name: str) -> None:
    arn = _certificate(account, name)
    outcome = account.run(HOSTING, _cloudfront(arn))
    assert outcome.status is Status.PASS, outcome


def test_a_certificate_for_another_domain_fails(account: Account) -> None:
    arn = _certificate(account, "example.com", "*.other.example.com")
    outcome = account.run(HOSTING, _cloudfront(arn))
    assert outcome.status is Status.FAIL
    assert "not www.example.com" in outcome.message
    assert "aws acm request-certificate --region us-east-1 --domain-name www.example.com" in outcome.fix


def test_a_pending_certificate_fails(account: Account) -> None:
    arn = _certificate(account, DOMAIN, issued=False)
    outcome = account.run(HOSTING, _cloudfront(arn))
    assert outcome.status is Status.FAIL
    assert "PENDING_VALIDATION, not ISSUED" in outcome.message


def test_a_missing_certificate_fails(account: Account) -> None:
    arn = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"
    outcome = account.run(HOSTING, _cloudfront(arn))
    assert outcome.status is Status.FAIL
    assert "does not exist in us-east-1" in outcome.message


@pytest.mark.parametrize(
    ("name", "domain", "covered"),
    [
        ("example.com", "example.com", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("www.example.com", "example.com", False),
    ],
)
def test_a_wildcard_covers_exactly_one_label(name: str, domain: str, covered: bool) -> None:
    assert checks.covers(name, domain) is covered
