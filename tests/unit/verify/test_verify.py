"""`make verify`'s AWS checks against a deployed stack on moto, with botocore's Stubber for the calls moto lacks:
apigatewayv2 UpdateStage (moto routes the stage path without an update) and Amplify GetDomainAssociation.
The site and API checks run against servers on this machine (tests/tools/test_verify_http.py)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from infra.guard import GUARD_STAGE_ACTIONS
from tests.unit.preflight.conftest import OWNED, REGION, PartlyStubbed, owned_config
from tools import verify
from tools.preflight.core import Result, Status, format_result

SENDER = OWNED["sender_email"]
OWNER = OWNED["alert_recipients"][0]
ACCESS_LOG_GROUP = "ResumeBackend-ApiAccessLog"
GUARD_POLICY = "GuardPolicy"


class StackOnMoto:
    """The deployed stack's resources the checks read, created as the stack creates them."""

    def __init__(self) -> None:
        self.stubbed: dict[str, PartlyStubbed] = {}
        api = self.client("apigatewayv2").create_api(Name="counter", ProtocolType="HTTP")
        self.api_id = api["ApiId"]
        log_group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{ACCESS_LOG_GROUP}"
        self.client("apigatewayv2").create_stage(
            ApiId=self.api_id,
            StageName=verify.STAGE_NAME,
            AccessLogSettings={"DestinationArn": log_group_arn, "Format": "{}"},
            DefaultRouteSettings={"ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 40},
        )
        logs = self.client("logs")
        logs.create_log_group(logGroupName=ACCESS_LOG_GROUP)
        logs.create_log_stream(logGroupName=ACCESS_LOG_GROUP, logStreamName="first-request")
        iam = self.client("iam")
        trust = {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]
        }
        self.role = iam.create_role(RoleName="NotifierRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        self.grant_guard()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", "def handler(event, context): pass\n")
        self.client("lambda").create_function(
            FunctionName="notifier",
            Runtime="python3.13",
            Role=self.role["Arn"],
            Handler="app.handler",
            Code={"ZipFile": archive.getvalue()},
        )
        cloudwatch = self.client("cloudwatch")
        self.alarms = ["ResumeBackend-api-errors", "ResumeBackend-site-unavailable"]
        for name in self.alarms:
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                MetricName="Errors",
                Namespace=catalog.METRICS_NAMESPACE,
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="one period of data")
        self.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        self.verify_sender(True)
        self.topic = self.client("sns").create_topic(Name="alerting-health")["TopicArn"]
        self.client("sns").subscribe(TopicArn=self.topic, Protocol="email", Endpoint=OWNER)
        self.updates = self.stub("apigatewayv2", "update_stage")

    def client(self, service: str) -> Any:
        if service in self.stubbed:
            return self.stubbed[service]
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def stub(self, service: str, *operations: str) -> Any:
        partial = PartlyStubbed(boto3.client(service, region_name=REGION), service, REGION, operations)  # type: ignore[call-overload]
        self.stubbed[service] = partial
        return partial.stubber

    def grant_guard(self) -> None:
        statement = {
            "Effect": "Allow",
            "Action": list(GUARD_STAGE_ACTIONS),
            "Resource": f"arn:aws:apigateway:{REGION}::/apis/{self.api_id}/stages/$default",
        }
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        self.client("iam").put_role_policy(RoleName="NotifierRole", PolicyName=GUARD_POLICY, PolicyDocument=document)

    def verify_sender(self, verified: bool) -> None:
        from moto.ses.models import ses_backends

        ses_backends["123456789012"][REGION].email_identities[SENDER].verified_for_sending_status = verified

    def deployment(self, **config: Any) -> verify.Deployment:
        outputs = {
            catalog.NOTIFIER_FUNCTION_OUTPUT: "notifier",
            catalog.ALERTING_HEALTH_TOPIC_OUTPUT: self.topic,
            "SiteDomainDnsRecords": "aws amplify get-domain-association --region eu-west-1 --app-id d1 ...",
        }
        resources = {
            "AWS::ApiGatewayV2::Api": (self.api_id,),
            "AWS::CloudWatch::Alarm": tuple(self.alarms),
            "AWS::Amplify::App": (f"arn:aws:amplify:{REGION}:123456789012:apps/d1",),
        }
        return verify.Deployment(owned_config(**config), outputs, resources)

    def run(self, **config: Any) -> list[Result]:
        deployment = self.deployment(**config)
        checks = list(verify.AWS_CHECKS)
        if deployment.config.site_domain:
            checks.append(verify.check_amplify_domain)
        return [verify._run_aws_check(check, deployment, self.client) for check in checks]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[StackOnMoto]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield StackOnMoto()


def _expect_noop_update(stack: StackOnMoto) -> None:
    expected = {
        "ApiId": stack.api_id,
        "StageName": "$default",
        "DefaultRouteSettings": {"ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 40},
    }
    stack.updates.add_response("update_stage", {"StageName": "$default"}, expected)


def _failed(verdicts: list[Result]) -> list[Result]:
    return [verdict for verdict in verdicts if verdict.status is Status.FAIL]


def test_a_working_stack_passes_every_check(stack: StackOnMoto) -> None:
    _expect_noop_update(stack)
    verdicts = stack.run()
    assert _failed(verdicts) == [], "\n".join(map(format_result, verdicts))
    # The guard's check made UpdateStage with the stage's current limits: a no-op
    stack.updates.assert_no_pending_responses()


def test_the_guards_grant_removed_fails_naming_the_fix(stack: StackOnMoto) -> None:
    # Given the role lost the guard's statement (a hand edit)
    stack.client("iam").delete_role_policy(RoleName="NotifierRole", PolicyName=GUARD_POLICY)
    # When verify runs
    [failed] = _failed(stack.run())
    # Then it names the role, the action and the deploy that restores it
    assert "may not call apigateway:PATCH" in failed.details[0]
    assert failed.fix.startswith("cdk deploy")


def test_an_unverified_sender_fails_naming_the_fix(stack: StackOnMoto) -> None:
    _expect_noop_update(stack)
    stack.verify_sender(False)
    [failed] = _failed(stack.run())
    assert f"{SENDER} is not verified" in failed.details[0]
    assert f"aws ses verify-email-identity --region {REGION} --email-address {SENDER}" in failed.fix


def test_an_access_log_without_streams_fails_with_the_fallback(stack: StackOnMoto) -> None:
    _expect_noop_update(stack)
    stack.client("logs").delete_log_stream(logGroupName=ACCESS_LOG_GROUP, logStreamName="first-request")
    [failed] = _failed(stack.run())
    assert f"{ACCESS_LOG_GROUP} has no log stream" in failed.details[0]
    assert "STANDARD" in failed.fix


def test_an_alarm_still_in_insufficient_data_says_why(stack: StackOnMoto) -> None:
    _expect_noop_update(stack)
    stack.client("cloudwatch").set_alarm_state(
        AlarmName=stack.alarms[0], StateValue="INSUFFICIENT_DATA", StateReason="no datapoints yet"
    )
    [failed] = _failed(stack.run())
    assert failed.details == (f"{stack.alarms[0]}: no datapoints yet",)


def test_a_domain_waiting_for_its_dns_records_fails_with_the_records_command(stack: StackOnMoto) -> None:
    # Given a configured domain Amplify has not verified yet (moto lacks GetDomainAssociation: stubbed)
    _expect_noop_update(stack)
    amplify = stack.stub("amplify", "get_domain_association")
    association = {
        "domainAssociationArn": "arn",
        "domainName": "rowan.dev",
        "enableAutoSubDomain": False,
        "domainStatus": "PENDING_VERIFICATION",
        "statusReason": "waiting for the CNAME",
        "subDomains": [],
    }
    amplify.add_response(
        "get_domain_association", {"domainAssociation": association}, {"appId": "d1", "domainName": "rowan.dev"}
    )
    # When verify runs
    [failed] = _failed(stack.run(site_domain="rowan.dev"))
    # Then it says the status and how to read the records to add
    assert "PENDING_VERIFICATION" in failed.details[0]
    assert "aws amplify get-domain-association --region" in failed.fix


def test_a_check_that_cannot_run_fails(stack: StackOnMoto) -> None:
    stack.stub("sesv2", "get_email_identity").add_client_error("get_email_identity", "AccessDeniedException", "no", 400)
    _expect_noop_update(stack)
    [failed] = _failed(stack.run())
    assert failed.message == "not checked: these credentials may not call GetEmailIdentity"
    assert "with the owner's (administrator) credentials" in failed.fix


def test_a_stack_without_the_site_and_api_outputs_fails_naming_the_deploy(stack: StackOnMoto) -> None:
    # Given a stack whose outputs lack ApiUrl and SiteUrl (deployed before the hosting existed)
    _expect_noop_update(stack)
    # When verify runs, the HTTP checks included
    [failed] = _failed(verify.verify(stack.deployment(), stack.client))
    # Then one line says which outputs are missing, before any request
    assert failed.details == (f"no {catalog.API_URL_OUTPUT} or {catalog.SITE_URL_OUTPUT} output",)
    assert failed.fix == "cdk deploy"


def test_the_deployment_is_read_from_the_stack(stack: StackOnMoto) -> None:
    # Given the deployed stack with an output
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {catalog.API_URL_OUTPUT: {"Value": "https://api.example/"}},
    }
    stack.client("cloudformation").create_stack(StackName="ResumeBackend", TemplateBody=json.dumps(template))
    # When verify reads it
    deployment = verify.read_deployment(owned_config(), stack.client)
    # Then it has the stack's outputs and its resources by type
    assert deployment.outputs == {catalog.API_URL_OUTPUT: "https://api.example/"}
    assert len(deployment.ids("AWS::SNS::Topic")) == 1
