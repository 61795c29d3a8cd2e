"""Runs every path on which the Lambdas record a custom metric, on moto: what CloudWatch would receive.

Shared by the checks that alarms and the dashboard only watch metrics the Lambdas really emit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from functions.common import catalog
from functions.counter import app as counter_app
from functions.notifier import app as notifier_app
from functions.probe import app as probe_app
from functions.probe.checks import CheckFailure
from tests.support.caches import clear_cached_factories
from tests.support.declared_tables import create_idempotency_table, create_visits_table
from tests.support.dynamodb_faults import refused
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event
from tools.local.provision import create_sender_identity

ALARM_IDS = ("visit-store-failures",)
"""The alarm ids the notifier is told of here; which they are does not matter to the metrics."""


@contextmanager
def lambdas_on_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Both Lambdas' resources on moto, named in their environment as infra does."""
    with mock_aws():
        create_visits_table(boto3.client("dynamodb"), "visits")
        create_idempotency_table(boto3.client("dynamodb"), "idempotency")
        create_sender_identity(boto3.client("sesv2"), "alerts@example.com")
        boto3.client("ses").verify_email_identity(EmailAddress="owner@example.com")  # a recipient, in the sandbox
        for name, value in {
            catalog.TABLE_NAME_ENV: "visits",
            catalog.MAX_VIEWS_ENV: "1",
            catalog.MAX_VIEWS_PER_NETWORK_ENV: "2",
            catalog.ALLOWED_ORIGINS_ENV: "https://example.com",
            catalog.IDEMPOTENCY_TABLE_ENV: "idempotency",
            catalog.SENDER_EMAIL_ENV: "alerts@example.com",
            catalog.ALERT_RECIPIENTS_ENV: "owner@example.com",
            catalog.STACK_NAME_ENV: "ResumeBackend",
            catalog.RUNBOOK_URL_ENV: "https://example.com/runbook.md",
            catalog.ALARM_IDS_ENV: ",".join(ALARM_IDS),
        }.items():
            monkeypatch.setenv(name, value)
        clear_cached_factories(counter_app, notifier_app)
        try:
            yield
        finally:
            clear_cached_factories(counter_app, notifier_app)


def run_every_metric_path() -> None:
    """Each path on which a Lambda records a custom metric, once."""
    counter_context = LocalLambdaContext(function_name="visit-counter")
    browser = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}

    def post(headers: dict[str, str], source_ip: str) -> None:
        counter_app.lambda_handler(
            http_api_event("POST", "/visits", headers=headers, source_ip=source_ip), counter_context
        )

    post(browser, "198.51.100.1")  # Visits, UniqueVisitors
    post(browser, "198.51.100.1")  # IgnoredVisits (over the daily limit of 1, set above)
    post({"user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}, "198.51.100.2")  # IgnoredVisits (crawler)
    post({}, "198.51.100.3")  # IgnoredVisits (no User-Agent)
    post({"user-agent": "x"}, "198.51.100.5")  # IgnoredVisits (not a browser)
    post({**browser, "origin": "https://elsewhere.example"}, "198.51.100.5")  # IgnoredVisits (foreign origin)
    for version in (131, 132, 133):  # three readers behind one address: the third is over its cap of 2
        post({"user-agent": browser["user-agent"].replace("133.0", f"{version}.0")}, "198.51.100.6")
    counter = counter_app.visit_counter()
    with refused(counter.client, "UpdateItem", "ThrottlingException", when=lambda _: True):  # VisitStoreFailures
        post(browser, "198.51.100.4")
    # ProbeFailures: the total and one per check (the probe's HTTP checks are tested against local servers).
    probe_app.record([CheckFailure(check, "seen") for check in catalog.PROBE_CHECKS])
    probe_app.metrics.flush_metrics()
