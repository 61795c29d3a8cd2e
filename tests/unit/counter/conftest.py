from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from functions.counter import app
from infra.local.lambda_events import LocalLambdaContext, http_api_event
from infra.local.provision import create_visits_table

TABLE_NAME = "visits-test"

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def visits_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty visits table on moto, named in the environment as infra does."""
    with mock_aws():
        create_visits_table(boto3.client("dynamodb"), TABLE_NAME)
        monkeypatch.setenv(catalog.TABLE_NAME_ENV, TABLE_NAME)
        app.visit_counter.cache_clear()
        yield TABLE_NAME
        app.visit_counter.cache_clear()


@pytest.fixture
def invoke(visits_table: str) -> Invoke:
    """Calls the real Lambda entry point with a real-shaped HTTP API v2 event."""

    def call(method: str, path: str = "/visits", **event_options: Any) -> dict[str, Any]:
        event = http_api_event(method, path, **event_options)
        response: dict[str, Any] = app.lambda_handler(event, LocalLambdaContext(function_name="visit-counter"))
        return response

    return call
