"""A stand-in for the visit-metrics publisher (tests/unit/local/test_streams.py): a DynamoDB-stream handler that keeps
each event it gets, prints one EMF document counting its records, and fails on a batch holding a poison item."""

from __future__ import annotations

import json
import time
from typing import Any, Final

NAMESPACE: Final = "StreamRecorder"
POISON_ATTRIBUTE: Final = "poison"

received: list[dict[str, Any]] = []
"""Every event it was invoked with, failed ones included, oldest first."""


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    received.append(event)
    if any(POISON_ATTRIBUTE in record["dynamodb"].get("NewImage", {}) for record in event["Records"]):
        raise ValueError("a poison record")
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": [{"Name": "Records"}]}],
        },
        "Records": len(event["Records"]),
    }
    print(json.dumps(document))
