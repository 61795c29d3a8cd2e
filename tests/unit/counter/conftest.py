from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from functions.counter import app
from tests.support.declared_tables import create_visits_table
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event

TABLE_NAME = "visits-test"
MAX_VIEWS = 3
"""The deployed default of max_views_per_visitor_per_day (cdk.json)."""
MAX_NETWORK_VIEWS = 10
"""max_views_per_network_per_day in these tests: small, so one address reaches it quickly."""
SITE_ORIGIN = "https://resume.example.com"
"""The site's origin, as infra sets ALLOWED_ORIGINS from the list CORS allows."""
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

Invoke = Callable[..., dict[str, Any]]
# Documentation addresses (RFC 5737): a different visitor per request unless a test picks one.
_ADDRESSES = (f"198.51.100.{i % 250 + 1}" if i < 250 else f"203.0.113.{i % 250 + 1}" for i in itertools.count())


@pytest.fixture
def visits_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty visits table on moto, named in the environment as infra does."""
    with mock_aws():
        create_visits_table(boto3.client("dynamodb"), TABLE_NAME)
        monkeypatch.setenv(catalog.TABLE_NAME_ENV, TABLE_NAME)
        monkeypatch.setenv(catalog.MAX_VIEWS_ENV, str(MAX_VIEWS))
        monkeypatch.setenv(catalog.MAX_VIEWS_PER_NETWORK_ENV, str(MAX_NETWORK_VIEWS))
        monkeypatch.setenv(catalog.ALLOWED_ORIGINS_ENV, f"{SITE_ORIGIN},http://localhost:8000")
        app.site_origins.cache_clear()
        app.site_hosts.cache_clear()
        app.visit_counter.cache_clear()
        yield TABLE_NAME
        app.visit_counter.cache_clear()


@pytest.fixture
def invoke(visits_table: str) -> Invoke:
    """Calls the real Lambda entry point with a real-shaped HTTP API v2 event."""

    def call(method: str, path: str = "/visits", **event_options: Any) -> dict[str, Any]:
        """A browser's request by default: a current Chrome's User-Agent, from a fresh source IP each call."""
        headers = {"user-agent": CHROME, **event_options.pop("headers", {})}
        event_options.setdefault("source_ip", next(_ADDRESSES))
        event = http_api_event(method, path, headers=headers, **event_options)
        response: dict[str, Any] = app.lambda_handler(event, LocalLambdaContext(function_name="visit-counter"))
        return response

    return call
