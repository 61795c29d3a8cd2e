"""Creates on the emulator the resources the synthesized template declares, named by logical id: the whole template
(`provision`), or one table as CDK deploys it (`create_table`: tests, `make cost`, the cold-start bench)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stack_model.stack import StackModel
from stack_model.storage import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client

    from tools.local.emulator import AwsClients


def provision(model: StackModel, aws: AwsClients) -> None:
    """Every table, topic, queue and sender identity of the template."""
    for table in model.tables.values():
        create_table(aws.dynamodb, table)
    for logical_id in model.topics:
        aws.sns.create_topic(Name=logical_id)  # no KMS key locally
    for logical_id in model.queues:
        aws.sqs.create_queue(QueueName=logical_id)
    for sender_email in model.email_identities:
        create_sender_identity(aws.sesv2, sender_email)


def create_table(client: DynamoDBClient, table: Table, table_name: str | None = None) -> str:
    """One table as the template declares it (keys, indexes, TTL), named `table_name` or its logical id."""
    name = table_name or table.logical_id
    extra: dict[str, Any] = {}
    if table.global_secondary_indexes:
        extra["GlobalSecondaryIndexes"] = list(table.global_secondary_indexes)
    client.create_table(
        TableName=name,
        KeySchema=list(table.key_schema),  # type: ignore[arg-type]
        AttributeDefinitions=list(table.attribute_definitions),  # type: ignore[arg-type]
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    client.get_waiter("table_exists").wait(TableName=name)
    if table.ttl_attribute is not None:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True}
        )
    return name


def create_sender_identity(client: SESV2Client, sender_email: str) -> None:
    """The SES identity alarm emails are sent from (verified by deployment.py; on AWS by the owner's click)."""
    client.create_email_identity(EmailIdentity=sender_email)
