"""Creates on the emulated AWS (moto) the resources the deployed stack has, from the same names and keys.

Used by the local runtime and by the tests, so what they run against matches infra/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.common import catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def create_visits_table(client: DynamoDBClient, table_name: str) -> None:
    """The visits table as infra/data.py defines it: string partition key, on-demand billing."""
    client.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": catalog.VISITS_PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": catalog.VISITS_PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
