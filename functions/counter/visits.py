"""Counting visits: the domain logic, and the only code on the counter's path that talks to DynamoDB.

It takes its DynamoDB client as an argument, so tests hand it a moto client and nothing is patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from functions.common.catalog import VISITS_COUNT_ATTRIBUTE, VISITS_ITEM_KEY, VISITS_PARTITION_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Error codes that mean "DynamoDB could not take the write now; the same request may succeed later".
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
RETRYABLE_ERROR_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
_UNREACHABLE_ERRORS: Final = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)

_ITEM_KEY: Final = {VISITS_PARTITION_KEY: {"S": VISITS_ITEM_KEY}}


class VisitStoreUnavailableError(Exception):
    """DynamoDB throttled or could not be reached; the count may not have changed, so none is reported."""


@dataclass(frozen=True)
class VisitCounter:
    client: DynamoDBClient
    table_name: str

    def record_visit(self) -> int:
        """Adds one visit atomically and returns the count that was stored."""
        with _translate_store_errors():
            response = self.client.update_item(
                TableName=self.table_name,
                Key=_ITEM_KEY,
                # ADD creates the attribute at 0 on the first visit, so no read-modify-write is needed.
                UpdateExpression="ADD #count :one",
                ExpressionAttributeNames={"#count": VISITS_COUNT_ATTRIBUTE},
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
        return int(response["Attributes"][VISITS_COUNT_ATTRIBUTE]["N"])

    def current_count(self) -> int:
        """The stored count, 0 before the first visit."""
        with _translate_store_errors():
            response = self.client.get_item(
                TableName=self.table_name,
                Key=_ITEM_KEY,
                ProjectionExpression="#count",
                ExpressionAttributeNames={"#count": VISITS_COUNT_ATTRIBUTE},
                # NOTE: a reload right after a POST must show that visit, so read the latest write.
                ConsistentRead=True,
            )
        item = response.get("Item")
        if item is None:
            return 0
        return int(item[VISITS_COUNT_ATTRIBUTE]["N"])


@contextmanager
def _translate_store_errors() -> Iterator[None]:
    """Turns DynamoDB's transient failures into VisitStoreUnavailableError; anything else propagates."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in RETRYABLE_ERROR_CODES:
            raise VisitStoreUnavailableError(str(exc)) from exc
        raise
    except _UNREACHABLE_ERRORS as exc:
        raise VisitStoreUnavailableError(str(exc)) from exc
