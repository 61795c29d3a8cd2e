"""The floor for `make bench`: a bare botocore handler doing one DynamoDB write and nothing else (no logging,
metrics, checks, privacy or idempotency), the least any counter can cost on a cold start."""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.session import get_session

from functions.common import catalog

_clients: list[Any] = []


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    if not _clients:
        _clients.append(get_session().create_client("dynamodb"))
    response = _clients[0].update_item(
        TableName=os.environ[catalog.TABLE_NAME_ENV],
        Key={catalog.VISITS_PARTITION_KEY: {"S": "bare-" + catalog.VISITS_ITEM_KEY}},
        UpdateExpression="ADD #count :one",
        ExpressionAttributeNames={"#count": catalog.VISITS_COUNT_ATTRIBUTE},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    count = int(response["Attributes"][catalog.VISITS_COUNT_ATTRIBUTE]["N"])
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"count": count})}
