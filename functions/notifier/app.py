"""Lambda entry point of the alarm notifier: an SNS event from the alarm topic → one email per alarm state change.

The handler wires the pieces; reading, rendering and sending live in delivery.py and the modules it uses.
Delivery guarantees, and where each comes from:
- exactly one email per SNS message: SNS delivers at least once, so each message id is recorded in DynamoDB
  (Powertools idempotency) and a redelivery returns the stored receipt instead of sending again;
- no silent loss: an unreadable message is forwarded raw; an SES failure raises, so Lambda retries (2 retries,
  infra/alerting.py) and then puts the event on the dead-letter queue, whose alarm bypasses this function.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.config import Config

from functions.common import catalog
from functions.notifier.alert_email import AlertLinks
from functions.notifier.delivery import deliver, notification_from_record
from functions.notifier.sender import EmailSender

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=catalog.NOTIFIER_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.NOTIFIER_SERVICE)

IDEMPOTENCY_WINDOW_SECONDS: Final = 24 * 60 * 60
"""How long a message id is remembered (the table's TTL then deletes it). Longer than anything that can
redeliver it: Lambda keeps an async event for at most 6 hours (infra/alerting.py) and SNS retries within that."""

# Each SNS record is keyed on its MessageId alone: the same alarm change published twice is two messages
# (two emails), the same message delivered twice is one.
# NOTE: a record without a MessageId (not from SNS) is sent without the idempotency check, never dropped.
_SNS_MESSAGE_ID_PATH: Final = "Sns.MessageId"

# SES answers in well under a second; a few attempts ride out a blip, and the function's timeout
# (infra/alerting.py) leaves room for them and for the idempotency table.
_SES_CONFIG: Final = Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 3, "mode": "standard"})
_DYNAMODB_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3, "mode": "standard"}
)


def _already_sent(response: Any, idempotent_data: DataRecord) -> Any:
    # A redelivery is not an error, but it must not be invisible either.
    logger.info("duplicate SNS message: its email was already sent", extra={"receipt": response})
    return response


IDEMPOTENCY_CONFIG: Final = IdempotencyConfig(
    event_key_jmespath=_SNS_MESSAGE_ID_PATH,
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
    response_hook=_already_sent,
)


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


@cache
def alert_links() -> AlertLinks:
    # The notifier's own region (Lambda sets AWS_DEFAULT_REGION), for console links of a message without an ARN.
    region = boto3.session.Session().region_name
    if not region:
        raise RuntimeError("no AWS region is configured (AWS_DEFAULT_REGION)")
    return AlertLinks(
        stack_name=_required_env(catalog.STACK_NAME_ENV),
        runbook_url=_required_env(catalog.RUNBOOK_URL_ENV),
        alarm_ids=frozenset(_required_env(catalog.ALARM_IDS_ENV).split(",")),
        default_region=region,
    )


@cache
def email_sender() -> EmailSender:
    """One SES client per container, created on first use so tests and the local runtime choose the endpoint."""
    recipients = tuple(
        address.strip() for address in _required_env(catalog.ALERT_RECIPIENTS_ENV).split(",") if address.strip()
    )
    if not recipients:
        raise RuntimeError(f"environment variable {catalog.ALERT_RECIPIENTS_ENV} names no address")
    return EmailSender(
        client=boto3.client("sesv2", config=_SES_CONFIG),
        sender=_required_env(catalog.SENDER_EMAIL_ENV),
        recipients=recipients,
    )


def _deliver_record(record: dict[str, Any]) -> dict[str, Any]:
    receipt = deliver(notification_from_record(record), email_sender(), alert_links())
    metrics.add_metric(name=catalog.ALERT_EMAILS_SENT_METRIC, unit=MetricUnit.Count, value=1)
    if receipt.forwarded_raw:
        metrics.add_metric(name=catalog.UNREADABLE_ALERTS_METRIC, unit=MetricUnit.Count, value=1)
        logger.warning("unreadable message forwarded raw", extra={"receipt": receipt.as_dict()})
    else:
        logger.info("alert email sent", extra={"receipt": receipt.as_dict()})
    return receipt.as_dict()


@cache
def deliver_once() -> Callable[..., dict[str, Any]]:
    """_deliver_record behind the idempotency table; created on first use, like the clients."""
    persistence = DynamoDBPersistenceLayer(
        table_name=_required_env(catalog.IDEMPOTENCY_TABLE_ENV),
        key_attr=catalog.IDEMPOTENCY_KEY_ATTRIBUTE,
        expiry_attr=catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE,
        boto3_client=boto3.client("dynamodb", config=_DYNAMODB_CONFIG),
    )
    decorated = idempotent_function(
        _deliver_record,
        data_keyword_argument="record",
        persistence_store=persistence,
        config=IDEMPOTENCY_CONFIG,
    )
    return cast(Callable[..., dict[str, Any]], decorated)


def handle(event: dict[str, Any], deliver_record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Delivers every record (SNS sends one per invocation). An event without records is forwarded whole."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        records = [event]
    return {"receipts": [deliver_record(record=record) for record in records]}


@logger.inject_lambda_context(correlation_id_path="Records[0].Sns.MessageId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Lets Powertools expire an in-progress record when this invocation times out, so the retry can send.
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return handle(event, deliver_once())
