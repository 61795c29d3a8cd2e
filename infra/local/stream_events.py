"""What a DynamoDB stream's event source mapping sends, in AWS's shapes: the records of the function's event, as
Lambda passes them (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), and the on-failure record of a
batch given up (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html) — made from what the
emulator's DynamoDB Streams returns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from assembly.template import LOCAL_REGION

_DYNAMODB_FIELDS: Final = (
    "ApproximateCreationDateTime",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "SizeBytes",
    "StreamViewType",
)


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda passes it to the function: with eventSourceARN, and its
    ApproximateCreationDateTime in whole epoch seconds (a number, as in Lambda's example event). moto's server sends
    epoch seconds with milliseconds (1796152344.789), which boto3 parses into a datetime."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    elif isinstance(created, (int, float)):
        dynamodb["ApproximateCreationDateTime"] = int(created)
    ordered = {key: dynamodb[key] for key in _DYNAMODB_FIELDS if key in dynamodb}
    shaped = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": LOCAL_REGION,
        "dynamodb": ordered,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:  # TTL's deletions
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def without_moto_inserts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as DynamoDB writes them. NOTE: moto's UpdateItem of an item that does not exist yet first puts
    the bare key (a record: INSERT of the keys alone), then applies the update (a second INSERT); DynamoDB writes one
    INSERT. Both come from one request, so they are always read in the same round; the first is dropped."""
    kept = []
    for index, record in enumerate(records):
        following = records[index + 1] if index + 1 < len(records) else None
        bare_insert = (
            record["eventName"] == "INSERT" and record["dynamodb"].get("NewImage") == record["dynamodb"]["Keys"]
        )
        if (
            bare_insert
            and following is not None
            and following["eventName"] == "INSERT"
            and following["dynamodb"]["Keys"] == record["dynamodb"]["Keys"]
        ):
            continue
        kept.append(record)
    return kept


def on_failure_record(
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    records: Sequence[Mapping[str, Any]],
    invocations: int,
    status_code: int = 200,
    function_error: str | None = "Unhandled",
) -> dict[str, Any]:
    """What Lambda sends to a stream mapping's on-failure destination: the batch's place in the stream, not its
    records. https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html"""
    response: dict[str, Any] = {"statusCode": status_code, "executedVersion": "$LATEST"}
    if function_error is not None:
        response["functionError"] = function_error
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(first),
            "approximateArrivalOfLastRecord": _arrival(last),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def _arrival(dynamodb: Mapping[str, Any]) -> str:
    return datetime.fromtimestamp(dynamodb["ApproximateCreationDateTime"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
