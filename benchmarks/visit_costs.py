"""What each kind of request costs in DynamoDB: round trips, and read and write request units, counted on the real
handler against the local emulator (every call the counter makes is recorded, by operation).

Request units follow DynamoDB's on-demand rules (items here are all < 1 KB, checked below): a write of an item
up to 1 KB is 1 WRU, also when its condition fails; a strongly consistent read of up to 4 KB is 1 RRU.
NOTE: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

WRITES: Final = frozenset({"PutItem", "UpdateItem"})
READS: Final = frozenset({"GetItem"})
WRU_ITEM_BYTES: Final = 1024
CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
GOOGLEBOT: Final = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def item_size_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings and binaries by length, numbers ~ digits/2+1).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        kind, data = next(iter(value.items()))
        if kind == "S":
            size += len(data.encode())
        elif kind == "B":
            size += len(data)
        elif kind == "N":
            size += len(data) // 2 + 2
        elif kind == "SS":
            size += sum(len(text.encode()) for text in data) + 3
    return size


def visit_costs() -> tuple[list[tuple[str, Counter[str]]], int]:
    """(scenario, calls by operation) for each kind of request, and the largest item's size in bytes."""
    import boto3
    from botocore.session import get_session

    from functions.counter import app
    from functions.counter.visits import VisitCounter
    from infra.local.emulator import AwsEmulator
    from infra.local.lambda_events import http_api_event
    from infra.local.provision import create_visits_table

    emulator = AwsEmulator()
    endpoint = emulator.start()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    table = "bench-costs"
    try:
        create_visits_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
        calls: Counter[str] = Counter()

        def container() -> VisitCounter:
            session = get_session()
            counter = VisitCounter(
                client=session.create_client("dynamodb", endpoint_url=endpoint, config=app._DYNAMODB_CONFIG),  # type: ignore[arg-type]
                table_name=table,
                max_views_per_day=3,
            )
            for client in (counter.client,):
                client.meta.events.register("before-send.dynamodb", lambda request, **_: _record(calls, request))
            return counter

        def post(counter: VisitCounter, ip: str, visit_id: str, ua: str = CHROME) -> Callable[[], Any]:
            event = http_api_event(
                "POST", "/visits", headers={"user-agent": ua}, source_ip=ip, body=json.dumps({"visit_id": visit_id})
            )
            return lambda: app.handle(event, lambda: counter)

        cold, warm = container(), container()
        scenarios: list[tuple[str, Callable[[], Any]]] = [
            ("POST, cold container, first visit of the day (creates the salt)", post(cold, "10.1.0.1", "cost-visit-1")),
            ("POST, cold container, salt exists", post(warm, "10.1.0.2", "cost-visit-2")),
            ("POST, warm container, new visitor", post(warm, "10.1.0.3", "cost-visit-3")),
            ("POST, warm, the visitor's next view", post(warm, "10.1.0.3", "cost-visit-4")),
            ("POST, warm, retry of a counted visit", post(warm, "10.1.0.3", "cost-visit-4")),
            ("POST, warm, the visitor's third view", post(warm, "10.1.0.3", "cost-visit-5")),
            ("POST, warm, over the daily limit", post(warm, "10.1.0.3", "cost-visit-6")),
            ("POST, warm, crawler", post(warm, "10.1.0.4", "cost-visit-7", GOOGLEBOT)),
            ("GET, warm", lambda: app.handle(http_api_event("GET", "/visits"), lambda: warm)),
        ]
        measured = []
        for name, run in scenarios:
            calls.clear()
            response = run()
            assert response["statusCode"] == 200, response
            measured.append((name, Counter(calls)))
        items = boto3.client("dynamodb", endpoint_url=endpoint).scan(TableName=table)["Items"]
        largest = max(item_size_bytes(item) for item in items)
    finally:
        emulator.stop()
    return measured, largest


def _record(calls: Counter[str], request: Any) -> None:
    calls[str(request.headers.get("X-Amz-Target", b"")).rpartition(".")[2].strip("'")] += 1


def print_visit_costs() -> None:
    measured, largest = visit_costs()
    print(f"DynamoDB per request (round trips; request units, items ≤ {largest} B < {WRU_ITEM_BYTES} B)")
    for name, calls in measured:
        writes = sum(n for op, n in calls.items() if op in WRITES)
        reads = sum(n for op, n in calls.items() if op in READS)
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"  {name:66} {sum(calls.values())} round trips ({detail or 'none'}); {writes} WRU, {reads} RRU")
    assert largest < WRU_ITEM_BYTES
