from __future__ import annotations

import sys
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


@pytest.fixture
def lambda_stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """What the handler printed: EMF documents and log lines, as Lambda would ship them to CloudWatch.

    The Powertools logger keeps the stream it was created with; pytest swaps sys.stdout between the setup
    and call phases, so the handler writes to whatever sys.stdout is at the time of each line.
    """
    handler = app.logger.registered_handler
    # Assigned, not setStream(): that flushes the old stream, which pytest may have closed.
    original, handler.stream = handler.stream, _CurrentStdout()  # type: ignore[attr-defined]

    def read() -> str:
        return capsys.readouterr().out

    yield read
    handler.stream = original  # type: ignore[attr-defined]


class _CurrentStdout:
    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()
