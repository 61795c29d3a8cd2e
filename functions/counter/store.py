"""What the counting modules share about DynamoDB: which failures are transient, and a read tried twice.

The counter's client never retries (functions/counter/app.py): a write whose answer was lost may have been
applied, and the SDK sending it again would count a visit twice. Reads change nothing, so they are retried here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# DynamoDB refused the request: nothing was applied, the same request may succeed later.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
REFUSED_ERROR_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# The request reached DynamoDB, which failed: it may or may not have been applied.
UNCERTAIN_ERROR_CODES: Final = frozenset({"InternalServerError", "ServiceUnavailable"})
RETRYABLE_ERROR_CODES: Final = REFUSED_ERROR_CODES | UNCERTAIN_ERROR_CODES
NOT_SENT_ERRORS: Final = (EndpointConnectionError, ConnectTimeoutError)
"""The request never reached DynamoDB."""
UNCERTAIN_ERRORS: Final = (ReadTimeoutError, ConnectionClosedError)
"""The request was sent; its answer never came."""
READ_ATTEMPTS: Final = 2
READ_RETRY_PAUSE_SECONDS: Final = 0.05
"""Enough for a throttled partition to take the read; two attempts of ~1.5 s stay inside the function's timeout."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def consistent_get(client: DynamoDBClient, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item (None if there is none), read strongly consistently, tried twice on a transient failure.
    NOTE: a reload right after a POST must show that visit, and a salt just created by another container must
    be found, so every read is of the latest write."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            item: dict[str, Any] | None = client.get_item(TableName=table_name, Key=key, ConsistentRead=True).get(
                "Item"
            )
            return item
        except ClientError as exc:
            if attempt == READ_ATTEMPTS or error_code(exc) not in RETRYABLE_ERROR_CODES:
                raise
        except (*NOT_SENT_ERRORS, *UNCERTAIN_ERRORS):
            if attempt == READ_ATTEMPTS:
                raise
        time.sleep(READ_RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")
