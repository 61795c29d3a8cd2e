"""An AWS account on moto for the preflight's checks, with botocore's Stubber only for calls moto lacks
(Lambda GetAccountSettings, SESv2 GetAccount) or answers it cannot give (stack resources of types its
CloudFormation does not create, such as AWS::SES::EmailIdentity)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra.config import DeploymentConfig, app_context, load_config
from infra.lambda_factory import POWERTOOLS_LAYER_PARAMETER
from tools.preflight.core import Check, Clients, Context, Result, run_check

ACCOUNT = "123456789012"  # moto's
REGION = "eu-west-1"
LAYER_ARN = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:20"
_MODELS = botocore.session.get_session().get_component("data_loader")
"""botocore's service models, read once: each new session reads them again (about half a second a test)."""


def _session() -> boto3.Session:
    """A fresh session, as the preflight makes one (region and credentials from the environment), sharing the
    models already read."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _MODELS)
    return boto3.Session(botocore_session=session)


def make_config(**overrides: Any) -> DeploymentConfig:
    """cdk.json's config in moto's account, with these keys replaced."""
    return load_config(app_context(), {"account": ACCOUNT, "region": REGION, **overrides})


OWNED: dict[str, Any] = {
    "alert_recipients": ["owner@rowan.dev"],
    "sender_email": "alerts@rowan.dev",
    "site_origins": ["https://www.rowan.dev"],
    "github_repository": "rowan/resume-backend",
}
"""An owner's own values where cdk.json ships placeholders."""


def owned_config(**overrides: Any) -> DeploymentConfig:
    """cdk.json's config as an owner fills it in: no placeholder left."""
    return make_config(**OWNED, **overrides)


class PartlyStubbed:
    """A moto-backed client whose `operations` answer from a Stubber's client instead."""

    def __init__(self, real: Any, service: str, region: str, operations: Iterable[str]) -> None:
        self._real = real
        self._operations = set(operations)
        self.stubbed = boto3.client(service, region_name=region)  # type: ignore[call-overload]
        self.stubber = Stubber(self.stubbed)
        self.stubber.activate()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stubbed if name in self._operations else self._real, name)

    def get_paginator(self, operation: str) -> Any:
        return (self.stubbed if operation in self._operations else self._real).get_paginator(operation)


class Account:
    """The moto account plus the stubs a test adds; `context()` is what the checks get."""

    def __init__(self) -> None:
        self.overrides: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]

    def stub(self, service: str, *operations: str, region: str = REGION) -> Stubber:
        """Stubs these operations of the service's client (the others stay on moto); returns the Stubber."""
        partial = PartlyStubbed(self.client(service, region), service, region, operations)
        self.overrides[(service, region)] = partial
        return partial.stubber

    def context(self, config: DeploymentConfig | None = None) -> Context:
        return Context(config or make_config(), Clients(_session(), overrides=self.overrides))

    def run(self, check: Check, config: DeploymentConfig | None = None) -> Result:
        return run_check(check, self.context(config))

    # --- what a ready account has ---------------------------------------------------------------------
    def create_stack(self, name: str, outputs: dict[str, str] | None = None) -> None:
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {key: {"Value": value} for key, value in (outputs or {}).items()},
        }
        self.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))

    def set_stack_status(self, name: str, status: str) -> None:
        from moto.cloudformation.models import cloudformation_backends

        backend = cloudformation_backends[ACCOUNT][REGION]
        [stack] = [stack for stack in backend.stacks.values() if stack.name == name]
        stack.status = status

    def bootstrap(self, version: int = 30) -> None:
        self.create_stack("CDKToolkit", {"BootstrapVersion": str(version)})

    def publish_layer(self, value: str = LAYER_ARN) -> None:
        """AWS's public parameter of the layer; moto refuses `/aws/` names to PutParameter, so it goes in the way
        moto loads its own public parameters."""
        from moto.ssm.models import Parameter, ssm_backends

        parameter = Parameter(  # type: ignore[abstract]
            account_id=ACCOUNT,
            name=POWERTOOLS_LAYER_PARAMETER,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=datetime.now(UTC),
            version=1,
            data_type="text",
        )
        ssm_backends[ACCOUNT][REGION]._parameters[POWERTOOLS_LAYER_PARAMETER].append(parameter)

    def ses_account(self, *, production: bool) -> None:
        """SESv2 GetAccount (moto lacks it), answered once."""
        self.stub("sesv2", "get_account").add_response("get_account", {"ProductionAccessEnabled": production})

    def identity(self, name: str, *, verified: bool) -> None:
        from moto.ses.models import ses_backends

        self.client("sesv2").create_email_identity(EmailIdentity=name)
        ses_backends[ACCOUNT][REGION].email_identities[name].verified_for_sending_status = verified

    def stack_resources(self, stack: str, *resources: tuple[str, str]) -> None:
        """What CloudFormation lists for a stack: (type, physical id) pairs moto's CloudFormation cannot create."""
        stubber = self.stub("cloudformation", "list_stack_resources")
        summaries = [
            {
                "LogicalResourceId": f"Resource{i}",
                "PhysicalResourceId": physical,
                "ResourceType": kind,
                "LastUpdatedTimestamp": datetime(2026, 1, 1, tzinfo=UTC),
                "ResourceStatus": "CREATE_COMPLETE",
            }
            for i, (kind, physical) in enumerate(resources)
        ]
        stubber.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": stack})


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield Account()


@pytest.fixture
def ready(account: Account) -> Callable[..., Account]:
    """An all-clear account before the first deploy: bootstrapped, the layer published, SES in production."""

    def prepare(*, production: bool = True) -> Account:
        account.bootstrap()
        account.publish_layer()
        account.ses_account(production=production)
        return account

    return prepare
