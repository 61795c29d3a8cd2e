"""Creates on the emulated AWS (moto) the resources the deployed stack has, from the same names and keys.

Used by the local runtime and by the tests, so what they run against matches infra/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.common import catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient


def create_visits_table(client: DynamoDBClient, table_name: str) -> None:
    """The visits table as infra/data.py defines it: string partition key, on-demand billing."""
    client.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": catalog.VISITS_PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": catalog.VISITS_PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name)


def create_idempotency_table(client: DynamoDBClient, table_name: str) -> None:
    """The notifier's idempotency table as infra/alerting.py defines it: string key, TTL on the expiry."""
    client.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": catalog.IDEMPOTENCY_KEY_ATTRIBUTE, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": catalog.IDEMPOTENCY_KEY_ATTRIBUTE, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"AttributeName": catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE, "Enabled": True},
    )


def create_sender_identity(client: SESV2Client, sender_email: str) -> None:
    """The SES identity alarm emails are sent from (infra/alerting.py). The emulator treats it as verified;
    on AWS the owner clicks the link SES mails to it (docs/alerting.md)."""
    client.create_email_identity(EmailIdentity=sender_email)


def create_topic(client: SNSClient, name: str) -> str:
    """An SNS topic (the alarm topic or the alerting-health topic); returns its ARN. No KMS key locally."""
    return client.create_topic(Name=name)["TopicArn"]
