"""A table's stream on moto (mock_aws), read from its start and shaped as Lambda's event source mapping hands the
records to a function: the tests of the visit-metrics publisher feed it the real records the real counter wrote."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from infra.local.stream_events import lambda_record, without_moto_inserts


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record on the table's stream so far, in order (the local system's conversion: stream_events.py)."""
    stream_arn = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    # NOTE: without an endpoint, botocore sends DynamoDB Streams calls with a stream ARN to an account-based
    # endpoint (<account>.streams-ddb.<region>.amazonaws.com), which moto 5.2.5 does not route ("Not yet implemented").
    streams: Any = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            records += [lambda_record(record, stream_arn) for record in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return without_moto_inserts(records)
