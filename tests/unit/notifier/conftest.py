from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends

from functions.common import catalog
from functions.digest import app as digest_app
from functions.notifier import app
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM, API_REQUEST_SPIKE_ALARM
from tests.support.caches import clear_cached_factories
from tests.support.declared_tables import create_idempotency_table, create_visits_table
from tests.support.scripted_sink import ScriptedSink
from tools.local.chat.webhook_sink import Received
from tools.local.lambda_runtime.events import LocalLambdaContext
from tools.local.provision import create_sender_identity

STACK_NAME = "ResumeBackend"
SENDER = "alerts@example.com"
RECIPIENTS = ("owner@example.com", "oncall@example.com")
GITHUB_REPOSITORY = "someone/resume-backend"
RUNBOOK_URL = catalog.runbook_url(GITHUB_REPOSITORY, "main")
ALARM_IDS = (
    API_5XX_ALARM,
    API_P99_LATENCY_ALARM,
    VISIT_STORE_FAILURES_ALARM,
    COUNTER_THROTTLES_ALARM,
    API_REQUEST_SPIKE_ALARM,
)
"""The stack's alarm ids as infra hands them to the notifier (catalog.ALARM_IDS_ENV)."""
IDEMPOTENCY_TABLE = "notifier-idempotency-test"
VISITS_TABLE = "visits-test"
"""The visits table the digest and the notes read (catalog.TABLE_NAME_ENV)."""
REGION = "us-east-1"
"""The emulator's region (tests/conftest.py); the notifier's own region, used when a message names none."""

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SentEmail:
    """One email as SES received it, parsed back from the raw MIME."""

    source: str
    destinations: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> tuple[str, ...]:
        return tuple(address.strip() for address in str(self.message["To"]).split(","))

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        assert body.get_content_type() == f"text/{subtype}"
        return str(body.get_content())


def _clear_caches() -> None:
    clear_cached_factories(app, digest_app)


@pytest.fixture
def notifier_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The emulated AWS the notifier runs against: a verified sender and recipients, an empty idempotency table,
    named in the environment as infra/alerting.py does."""
    with mock_aws():
        create_sender_identity(boto3.client("sesv2"), SENDER)
        for recipient in RECIPIENTS:  # in the SES sandbox, as the owner's click on SES's link does
            boto3.client("ses").verify_email_identity(EmailAddress=recipient)
        create_idempotency_table(boto3.client("dynamodb"), IDEMPOTENCY_TABLE)
        for name, value in {
            catalog.SENDER_EMAIL_ENV: SENDER,
            catalog.ALERT_RECIPIENTS_ENV: ",".join(RECIPIENTS),
            catalog.IDEMPOTENCY_TABLE_ENV: IDEMPOTENCY_TABLE,
            catalog.STACK_NAME_ENV: STACK_NAME,
            catalog.RUNBOOK_URL_ENV: RUNBOOK_URL,
            catalog.ALARM_IDS_ENV: ",".join(ALARM_IDS),
        }.items():
            monkeypatch.setenv(name, value)
        _clear_caches()
        yield
        _clear_caches()


@pytest.fixture
def invoke(notifier_env: None) -> Invoke:
    """Calls the real Lambda entry point as SNS would (an asynchronous invocation with the SNS event)."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        context: Any = LocalLambdaContext(function_name="alarm-notifier")
        response: dict[str, Any] = app.lambda_handler(event, context)
        return response

    return call


@pytest.fixture
def visits_table(notifier_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The visits table as the default app declares it, named in the digest's environment as infra names it."""
    create_visits_table(boto3.client("dynamodb"), VISITS_TABLE)
    monkeypatch.setenv(catalog.TABLE_NAME_ENV, VISITS_TABLE)
    return VISITS_TABLE


@pytest.fixture
def invoke_digest(visits_table: str) -> Invoke:
    """Calls the weekly digest's entry point as EventBridge Scheduler would."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        context: Any = LocalLambdaContext(function_name="weekly-digest")
        response: dict[str, Any] = digest_app.lambda_handler(event, context)
        return response

    return call


@pytest.fixture
def sent_emails(notifier_env: None) -> Callable[[], list[SentEmail]]:
    """Every email the emulated SES accepted, oldest first."""

    def read() -> list[SentEmail]:
        messages = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        return [
            SentEmail(
                source=message.source,
                destinations=tuple(dict.fromkeys(message.destinations)),
                message=email.message_from_string(message.raw_data, policy=email.policy.default),
            )
            for message in messages
            if isinstance(message, RawMessage)
        ]

    return read


SLACK_PARAMETER = "/resume/slack-webhook"
WEBHOOK_PARAMETER = "/resume/alert-webhook"
SLACK_PATH = "/services/T0SECRET1/B0SECRET2/slackSecretToken42"
"""Shaped like a Slack incoming webhook's path, whose last parts are the secret."""
WEBHOOK_PATH = "/hooks/alerts?token=webhookSecretToken77"


@dataclass(frozen=True)
class Channels:
    """The sink both optional channels post to, and their secret URLs (as the owner stored them in SSM)."""

    sink: ScriptedSink
    slack_url: str
    webhook_url: str

    def slack(self) -> list[Received]:
        return self.sink.at(SLACK_PATH)

    def webhook(self) -> list[Received]:
        return self.sink.at(WEBHOOK_PATH)


@pytest.fixture
def sink() -> Iterator[ScriptedSink]:
    started = ScriptedSink().start()
    yield started
    started.stop()


@pytest.fixture
def channels(notifier_env: None, sink: ScriptedSink, monkeypatch: pytest.MonkeyPatch) -> Channels:
    """Slack and the webhook configured as infra configures them: the URLs in SecureString parameters on the
    emulated SSM, the parameter names in the notifier's environment."""
    configured = Channels(sink=sink, slack_url=sink.url(SLACK_PATH), webhook_url=sink.url(WEBHOOK_PATH))
    ssm = boto3.client("ssm")
    for name, url in ((SLACK_PARAMETER, configured.slack_url), (WEBHOOK_PARAMETER, configured.webhook_url)):
        ssm.put_parameter(Name=name, Value=url, Type="SecureString")
    monkeypatch.setenv(
        catalog.ALERT_CHANNELS_ENV,
        f"{catalog.SLACK_CHANNEL}={SLACK_PARAMETER},{catalog.WEBHOOK_CHANNEL}={WEBHOOK_PARAMETER}",
    )
    _clear_caches()
    return configured
