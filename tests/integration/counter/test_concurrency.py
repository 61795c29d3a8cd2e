"""Concurrent visits through the real handler against the local AWS emulator (moto's server): the count is exact.

Each worker is its own container: its own DynamoDB client and its own cache of the day's salt, so the salt's
creation races too. 16 workers x 50 POSTs, as 800 distinct visitors and then as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from botocore.session import Session, get_session

from functions.common import catalog
from functions.counter import app
from functions.counter.visits import VisitCounter
from tests.unit.counter.conftest import CHROME, MAX_VIEWS
from tools.local.emulator import AwsEmulator
from tools.local.lambda_runtime.events import http_api_event
from tools.local.provision import create_visits_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

WORKERS = 16
VISITS_PER_WORKER = 50
VISITS = WORKERS * VISITS_PER_WORKER


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    emulator = AwsEmulator()
    yield emulator.start()
    emulator.stop()


def _container(endpoint: str, table_name: str) -> VisitCounter:
    """A fresh container's counter: a new client (the handler's own config) and an empty salt cache."""
    session = get_session()
    return VisitCounter(
        client=_dynamodb(session, "dynamodb", endpoint_url=endpoint, config=app._DYNAMODB_CONFIG),
        table_name=table_name,
        max_views_per_day=MAX_VIEWS,
    )


def _post_visits(endpoint: str, table_name: str, worker: int, *, one_visitor: bool) -> list[dict[str, Any]]:
    counter = _container(endpoint, table_name)
    answers = []
    for i in range(VISITS_PER_WORKER):
        visitor = 0 if one_visitor else worker * VISITS_PER_WORKER + i
        event = http_api_event(
            "POST",
            "/visits",
            headers={"user-agent": CHROME, "content-type": "text/plain"},
            body=json.dumps({"visit_id": f"visit-{worker:02d}-{i:03d}"}),
            source_ip=f"10.{visitor // 65536}.{visitor // 256 % 256}.{visitor % 256}",
        )
        response = app.handle(event, lambda: counter)
        assert response["statusCode"] == 200, response
        answers.append(json.loads(response["body"]))
    return answers


def _run(endpoint: str, table_name: str, *, one_visitor: bool) -> list[dict[str, Any]]:
    create_visits_table(boto3.client("dynamodb", endpoint_url=endpoint), table_name)
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [
            pool.submit(_post_visits, endpoint, table_name, worker, one_visitor=one_visitor)
            for worker in range(WORKERS)
        ]
        return [answer for future in futures for answer in future.result()]


def _stored(endpoint: str, table_name: str) -> dict[str, Any]:
    counter = _container(endpoint, table_name)
    return app._figures(counter.totals())


def test_800_distinct_visitors_count_800_views_and_800_unique_visitors(moto_endpoint: str) -> None:
    # Given an empty table / When 16 containers post 50 visits each, every one from another visitor
    answers = _run(moto_endpoint, "visits-distinct", one_visitor=False)
    # Then every view answered a distinct count, together exactly 1..800
    assert sorted(answer["count"] for answer in answers) == list(range(1, VISITS + 1))
    # And the stored figures count 800 views by 800 unique visitors, all today
    assert _stored(moto_endpoint, "visits-distinct") == {
        "count": VISITS,
        "unique_visitors": VISITS,
        "today": {"count": VISITS, "unique_visitors": VISITS},
    }
    # And the day has exactly one salt: every container used the winner of the race to create it
    items = boto3.client("dynamodb", endpoint_url=moto_endpoint).scan(TableName="visits-distinct")["Items"]
    salts = [item for item in items if item[catalog.VISITS_PARTITION_KEY]["S"].startswith(catalog.SALT_KEY_PREFIX)]
    assert len(salts) == 1


def test_800_posts_of_one_visitor_count_one_unique_visitor_and_the_daily_limit_of_views(moto_endpoint: str) -> None:
    # Given an empty table / When 16 containers post 50 visits each, all from the same browser
    answers = _run(moto_endpoint, "visits-one", one_visitor=True)
    # Then one visitor is counted once, with max_views_per_visitor_per_day views; the rest are ignored
    stored = _stored(moto_endpoint, "visits-one")
    assert stored == {"count": MAX_VIEWS, "unique_visitors": 1, "today": {"count": MAX_VIEWS, "unique_visitors": 1}}
    assert max(answer["count"] for answer in answers) == MAX_VIEWS


def _dynamodb(session: Session, service: str, **options: Any) -> DynamoDBClient:
    return cast("DynamoDBClient", session.create_client(service, **options))
