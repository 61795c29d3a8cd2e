from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from functions.counter import app as counter_app
from functions.visit_metrics import app
from infra.local.lambda_events import LocalLambdaContext, http_api_event
from infra.local.provision import create_visits_table
from tests.support.caches import clear_cached_factories

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

TABLE_NAME = "visits-test"
MAX_VIEWS = 3
"""The deployed default of max_views_per_visitor_per_day (cdk.json)."""
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
TOTALS_KEYS = dict(catalog.VISITS_TOTALS_KEY)

PostVisit = Callable[..., dict[str, Any]]
RunVisitMetrics = Callable[[list[dict[str, Any]]], str]


@pytest.fixture
def visits_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty visits table on moto with the stream the visit metrics read, named in the environment as infra
    does."""
    with mock_aws():
        client = boto3.client("dynamodb")
        create_visits_table(client, TABLE_NAME)
        monkeypatch.setenv(catalog.TABLE_NAME_ENV, TABLE_NAME)
        monkeypatch.setenv(catalog.MAX_VIEWS_ENV, str(MAX_VIEWS))
        clear_cached_factories(counter_app)
        try:
            yield TABLE_NAME
        finally:
            clear_cached_factories(counter_app)


@pytest.fixture
def post_visit(visits_table: str) -> PostVisit:
    """POST /visits through the real counter handler, with a real-shaped HTTP API v2 event."""

    def call(*, source_ip: str, visit_id: str, user_agent: str = CHROME) -> dict[str, Any]:
        event = http_api_event(
            "POST",
            catalog.VISITS_PATH,
            headers={"user-agent": user_agent, "content-type": "application/json"},
            body=json.dumps({"visit_id": visit_id}),
            source_ip=source_ip,
        )
        response: dict[str, Any] = counter_app.lambda_handler(event, LocalLambdaContext(function_name="visit-counter"))
        assert response["statusCode"] == 200
        return response

    return call


def stored_totals(table_name: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=table_name, Key=TOTALS_KEYS, ConsistentRead=True
    )["Item"]
    return item


class _CurrentStdout:
    """Powertools' Logger keeps the stream it was created with; pytest swaps sys.stdout per test phase."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def run_visit_metrics(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunVisitMetrics:
    """Calls the real visit metrics entry point with `{"Records": records}` and returns what it printed alone
    (EMF documents and log lines, as Lambda would ship them to CloudWatch Logs)."""
    monkeypatch.setattr(app.logger.registered_handler, "stream", _CurrentStdout())
    # The environment infra gives the function (infra/visit_metrics.py).
    monkeypatch.setenv(catalog.VISIT_METRICS_BUCKET_ENV, str(catalog.VISIT_METRICS_BUCKET_SECONDS))
    clear_cached_factories(app)

    def call(records: list[dict[str, Any]]) -> str:
        capsys.readouterr()
        # LocalLambdaContext has the attributes Powertools reads; mypy only knows Powertools' protocol class.
        context = cast("LambdaContext", LocalLambdaContext(function_name="visit-metrics"))
        result = app.lambda_handler({"Records": records}, context)
        assert result is None
        return capsys.readouterr().out

    return call


def totals_record(
    *,
    created: object,
    old: tuple[int, int] | None,
    new: tuple[int, int] | None,
    event_name: str = "MODIFY",
    keys: dict[str, Any] | None = None,
    event_id: str = "f07f8ca4b0b26cb9c4e5e77e69f274ee",
) -> dict[str, Any]:
    """A stream record of the totals item as Lambda passes it: `old`/`new` are (visit_count, unique_visitors).
    https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html"""
    item_keys = keys or TOTALS_KEYS
    stream_record: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": item_keys,
        "SequenceNumber": "111",
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    for image, counts in (("OldImage", old), ("NewImage", new)):
        if counts is not None:
            stream_record[image] = {
                **item_keys,
                catalog.VISITS_COUNT_ATTRIBUTE: {"N": str(counts[0])},
                catalog.UNIQUE_VISITORS_ATTRIBUTE: {"N": str(counts[1])},
            }
    return {
        "eventID": event_id,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": stream_record,
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE_NAME}/stream/2026-12-01T00:00:00.000",
    }
