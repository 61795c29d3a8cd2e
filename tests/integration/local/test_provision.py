"""Provisioning reads the synthesized template: the local runtime and the tests create the tables CDK deploys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from stack_model.stack import StackModel
from tests.support.declared_tables import create_idempotency_table, create_visits_table
from tools.local.emulator import AwsClients
from tools.local.provision import provision
from tools.synth import default_template


@pytest.fixture
def template() -> dict[str, Any]:
    return default_template()


def _of_type(template: dict[str, Any], *types: str) -> dict[str, Any]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] in types}


@pytest.fixture
def aws() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(
            dynamodb=boto3.client("dynamodb"),
            sns=boto3.client("sns"),
            sqs=boto3.client("sqs"),
            sesv2=boto3.client("sesv2"),
            ssm=boto3.client("ssm"),
        )


def test_the_runtime_gets_every_resource_of_the_template_by_logical_id(
    template: dict[str, Any], aws: AwsClients
) -> None:
    provision(StackModel.from_template(template), aws)
    tables = _of_type(template, "AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table")
    assert sorted(aws.dynamodb.list_tables()["TableNames"]) == sorted(tables)
    topics = [topic["TopicArn"].rsplit(":", 1)[-1] for topic in aws.sns.list_topics()["Topics"]]
    assert sorted(topics) == sorted(_of_type(template, "AWS::SNS::Topic"))
    assert [q.rsplit("/", 1)[-1] for q in aws.sqs.list_queues()["QueueUrls"]] == list(
        _of_type(template, "AWS::SQS::Queue")
    )
    identities = [i["IdentityName"] for i in aws.sesv2.list_email_identities()["EmailIdentities"]]
    declared = _of_type(template, "AWS::SES::EmailIdentity").values()
    assert identities == [r["Properties"]["EmailIdentity"] for r in declared]


def test_tables_have_the_keys_and_ttl_the_template_declares(template: dict[str, Any], aws: AwsClients) -> None:
    # When the tests' shortcuts create the two tables under names of their own
    create_visits_table(aws.dynamodb, "visits")
    create_idempotency_table(aws.dynamodb, "idempotency")
    # Then each has the key schema of the table the function's environment names in the template
    for name, variable in (("visits", catalog.TABLE_NAME_ENV), ("idempotency", catalog.IDEMPOTENCY_TABLE_ENV)):
        (named,) = {
            f["Properties"]["Environment"]["Variables"][variable]["Ref"]
            for f in _of_type(template, "AWS::Lambda::Function").values()
            if variable in f["Properties"].get("Environment", {}).get("Variables", {})
        }
        declared = template["Resources"][named]["Properties"]
        table = aws.dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == declared["KeySchema"]
        assert table["AttributeDefinitions"] == declared["AttributeDefinitions"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # And the idempotency table expires its records on the attribute the template's TTL names
    ttl = aws.dynamodb.describe_time_to_live(TableName="idempotency")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE
    assert ttl["TimeToLiveStatus"] == "ENABLED"
