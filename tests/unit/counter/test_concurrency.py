"""Concurrent visits through the real handler against the local AWS emulator (moto's server): the count is exact.

Each worker is its own process, as each concurrent Lambda invocation is its own container.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import boto3
import pytest

from functions.common import catalog
from infra.local.emulator import AwsEmulator
from infra.local.provision import create_visits_table

WORKERS = 16
VISITS_PER_WORKER = 50
TABLE_NAME = "visits-concurrency"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    emulator = AwsEmulator()
    yield emulator.start()
    emulator.stop()


def _post_visits(endpoint: str, visits: int) -> list[int]:
    # Runs in a fresh process: configure the environment before the handler creates its client.
    os.environ[catalog.TABLE_NAME_ENV] = TABLE_NAME
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    import json

    from functions.counter import app
    from infra.local.lambda_events import LocalLambdaContext, http_api_event

    counts = []
    for _ in range(visits):
        response = app.lambda_handler(http_api_event("POST", "/visits"), LocalLambdaContext("visit-counter"))
        assert response["statusCode"] == 200, response
        counts.append(json.loads(response["body"])["count"])
    return counts


def test_concurrent_posts_lose_and_double_count_nothing(moto_endpoint: str) -> None:
    # Given an empty table
    create_visits_table(boto3.client("dynamodb", endpoint_url=moto_endpoint), TABLE_NAME)
    # When 16 containers post 50 visits each at the same time
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.starmap(_post_visits, [(moto_endpoint, VISITS_PER_WORKER)] * WORKERS)
    # Then every increment answered a distinct count, and together they are exactly 1..800
    answered = sorted(count for worker in results for count in worker)
    assert answered == list(range(1, WORKERS * VISITS_PER_WORKER + 1))
    # And the stored count agrees
    item = boto3.client("dynamodb", endpoint_url=moto_endpoint).get_item(
        TableName=TABLE_NAME, Key={catalog.VISITS_PARTITION_KEY: {"S": catalog.VISITS_ITEM_KEY}}, ConsistentRead=True
    )
    assert int(item["Item"][catalog.VISITS_COUNT_ATTRIBUTE]["N"]) == WORKERS * VISITS_PER_WORKER
