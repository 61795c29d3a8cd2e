"""Table snapshots: what the local system keeps between runs, written atomically, restored on the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from tests.support.declared_tables import create_visits_table
from tools.local.state import TableSnapshots

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

KEY = {catalog.VISITS_PARTITION_KEY: {"S": catalog.VISITS_ITEM_KEY}}


def _count(value: int) -> dict[str, Any]:
    return KEY | {catalog.VISITS_COUNT_ATTRIBUTE: {"N": str(value)}}


@pytest.fixture
def client() -> Iterator[DynamoDBClient]:
    """An empty visits table (as the template declares it) on moto."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_visits_table(dynamodb, "visits")
        yield dynamodb


def test_a_snapshot_is_restored_into_fresh_tables(client: DynamoDBClient, tmp_path: Path) -> None:
    path = tmp_path / "tables.json"
    # Given a count of 7 snapshotted
    client.put_item(TableName="visits", Item=_count(7))
    assert TableSnapshots(client, ["visits"], path).save() is True
    # When the next run starts on empty tables and restores
    client.delete_item(TableName="visits", Key=KEY)
    restored = TableSnapshots(client, ["visits"], path).restore()
    # Then the count is back
    assert restored == 1
    assert client.get_item(TableName="visits", Key=KEY)["Item"] == _count(7)


def test_an_unchanged_table_is_not_written_again_and_no_partial_file_is_left(
    client: DynamoDBClient, tmp_path: Path
) -> None:
    snapshots = TableSnapshots(client, ["visits"], tmp_path / "tables.json")
    client.put_item(TableName="visits", Item=_count(1))
    assert snapshots.save() is True
    assert snapshots.save() is False
    client.put_item(TableName="visits", Item=_count(2))
    assert snapshots.save() is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables.json"]
