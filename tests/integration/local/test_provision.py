"""Provisioning reads the synthesized template: the local runtime and the tests create the tables CDK deploys."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from stack_model.template import TABLE_TYPES, LocalTemplate
from tools.local.emulator import AwsClients
from tools.local.provision import create_idempotency_table, create_visits_table, provision
from tools.synth import default_template


@pytest.fixture
def template() -> LocalTemplate:
    return LocalTemplate(default_template())


@pytest.fixture
def aws() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(
            dynamodb=boto3.client("dynamodb"),
            sns=boto3.client("sns"),
            sqs=boto3.client("sqs"),
            sesv2=boto3.client("sesv2"),
            cloudwatch=boto3.client("cloudwatch"),
            ssm=boto3.client("ssm"),
        )


def test_the_runtime_gets_every_resource_of_the_template_by_logical_id(
    template: LocalTemplate, aws: AwsClients
) -> None:
    provision(template, aws)
    assert sorted(aws.dynamodb.list_tables()["TableNames"]) == sorted(template.of_type(*TABLE_TYPES))
    topics = [topic["TopicArn"].rsplit(":", 1)[-1] for topic in aws.sns.list_topics()["Topics"]]
    assert sorted(topics) == sorted(template.of_type("AWS::SNS::Topic"))
    assert [q.rsplit("/", 1)[-1] for q in aws.sqs.list_queues()["QueueUrls"]] == list(
        template.of_type("AWS::SQS::Queue")
    )
    identities = [i["IdentityName"] for i in aws.sesv2.list_email_identities()["EmailIdentities"]]
    assert identities == [
        template.resolve(r["Properties"]["EmailIdentity"]) for r in template.of_type("AWS::SES::EmailIdentity").values()
    ]


def test_tables_have_the_keys_and_ttl_the_template_declares(template: LocalTemplate, aws: AwsClients) -> None:
    # When the tests' shortcuts create the two tables under names of their own
    create_visits_table(aws.dynamodb, "visits")
    create_idempotency_table(aws.dynamodb, "idempotency")
    # Then each has the key schema of the table the function's environment names in the template
    for name, variable in (("visits", catalog.TABLE_NAME_ENV), ("idempotency", catalog.IDEMPOTENCY_TABLE_ENV)):
        declared = template.properties(template.table_named_by(variable))
        table = aws.dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == declared["KeySchema"]
        assert table["AttributeDefinitions"] == declared["AttributeDefinitions"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # And the idempotency table expires its records on the attribute the template's TTL names
    ttl = aws.dynamodb.describe_time_to_live(TableName="idempotency")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE
    assert ttl["TimeToLiveStatus"] == "ENABLED"
