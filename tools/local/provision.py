"""Creates on the emulated AWS (moto) the resources the synthesized template declares, named by logical id: the
whole template for the local system (`provision`), single tables for tests (`create_table`, through
tests/support/declared_tables.py), so their key schemas and TTL are the ones CDK deploys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stack_model.stack import StackModel
from stack_model.storage import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient

    from tools.local.emulator import AwsClients


def provision(model: StackModel, aws: AwsClients) -> None:
    """Every table, topic, queue and sender identity of the template."""
    for table in model.tables.values():
        create_table(aws.dynamodb, table)
    for logical_id in model.topics:
        create_topic(aws.sns, logical_id)
    for logical_id in model.queues:
        create_queue(aws.sqs, logical_id)
    for sender_email in model.email_identities:
        create_sender_identity(aws.sesv2, sender_email)


def create_table(client: DynamoDBClient, table: Table, table_name: str | None = None) -> str:
    """One table as the template declares it (keys, indexes, on-demand billing, TTL), named `table_name` or by its
    logical id; returns the name."""
    name = table_name or table.logical_id
    extra: dict[str, Any] = {}
    if table.global_secondary_indexes:
        extra["GlobalSecondaryIndexes"] = list(table.global_secondary_indexes)
    client.create_table(
        TableName=name,
        KeySchema=list(table.key_schema),  # type: ignore[arg-type]
        AttributeDefinitions=list(table.attribute_definitions),  # type: ignore[arg-type]
        BillingMode="PAY_PER_REQUEST",  # the stack's tables are on-demand; locally capacity means nothing
        **extra,
    )
    client.get_waiter("table_exists").wait(TableName=name)
    if table.ttl_attribute is not None:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True}
        )
    return name


def create_topic(client: SNSClient, name: str) -> str:
    """An SNS topic; returns its ARN. No KMS key locally."""
    return client.create_topic(Name=name)["TopicArn"]


def create_queue(client: SQSClient, name: str) -> str:
    return client.create_queue(QueueName=name)["QueueUrl"]


def create_sender_identity(client: SESV2Client, sender_email: str) -> None:
    """The SES identity alarm emails are sent from (AWS::SES::EmailIdentity). The emulator treats it as verified;
    on AWS the owner clicks the link SES mails to it (docs/alerting.md)."""
    client.create_email_identity(EmailIdentity=sender_email)
