"""Delivering a message (an alert, the weekly digest) on every channel, each at most once and on its own: each
(delivery id, channel) pair is a Powertools idempotency record in DynamoDB, so a redelivery returns the stored
receipt; a failed channel fails the invocation after the others were delivered, and Lambda's retries then
deliver only that channel, whose record was removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.config import Config
from botocore.exceptions import ClientError

from functions.common import catalog
from functions.common.env import required_env
from functions.common.http import UnconfirmedPostError
from functions.notifier.channel import Channel, ChannelDeliveryError, ChannelReceipt, Message
from functions.notifier.sender import EmailChannel
from functions.notifier.slack import SlackChannel
from functions.notifier.webhook import WebhookChannel

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

logger = Logger(service=catalog.NOTIFIER_SERVICE)

IDEMPOTENCY_WINDOW_SECONDS: Final = 24 * 60 * 60
"""How long a delivery is remembered: longer than Lambda keeps an async event (6 hours, infra/notifier.py)."""

# NOTE: a record without a delivery id (not from SNS) makes the key null (`&&` short-circuits): it is delivered
# without the idempotency check, never dropped.
_DELIVERY_KEY: Final = "sns_message_id && [sns_message_id, channel]"

SECRET_MAX_AGE_SECONDS: Final = 300
"""A channel URL read from SSM is cached this long: a rotated URL is picked up within 5 minutes."""

# A few attempts ride out a blip, inside the function's timeout (infra/notifier.py).
_SES_CONFIG: Final = Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 3, "mode": "standard"})
_DYNAMODB_AND_SSM_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3, "mode": "standard"}
)


def _already_delivered(response: Any, idempotent_data: DataRecord) -> Any:
    logger.info("duplicate SNS message: already delivered on this channel", extra={"receipt": response})
    return response


IDEMPOTENCY_CONFIG: Final = IdempotencyConfig(
    event_key_jmespath=_DELIVERY_KEY,
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
    response_hook=_already_delivered,
)


def dynamodb_client() -> Any:
    return boto3.client("dynamodb", config=_DYNAMODB_AND_SSM_CONFIG)


def put_unless_newer(
    client: Any, table_name: str, key: str, at_attribute: str, changed_at: datetime | None, attributes: dict[str, str]
) -> bool:
    """Writes the item `key` of the idempotency table (its `attributes` and `changed_at` as `at_attribute`) unless
    it holds a newer state change; False (nothing written) when it does. A change without a usable time is written
    as it is. NOTE: a condition that fails writes nothing, and each write to one item is applied atomically.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html"""
    item = {catalog.IDEMPOTENCY_KEY_ATTRIBUTE: {"S": key}, **{name: {"S": v} for name, v in attributes.items()}}
    try:  # ISO 8601 in UTC with a fixed precision, so the strings sort as the times do
        at = changed_at.astimezone(UTC).isoformat(timespec="milliseconds")  # type: ignore[union-attr]
    except (AttributeError, ValueError, OverflowError):  # no time, or one out of range
        client.put_item(TableName=table_name, Item=item)
        return True
    try:
        client.put_item(
            TableName=table_name,
            Item={**item, at_attribute: {"S": at}},
            ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
            ExpressionAttributeNames={"#at": at_attribute},
            ExpressionAttributeValues={":at": {"S": at}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def once_per_delivery(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """`function` behind the idempotency table, keyed on its `delivery` argument ({"sns_message_id", "channel"})."""
    store = DynamoDBPersistenceLayer(
        table_name=required_env(catalog.IDEMPOTENCY_TABLE_ENV),
        key_attr=catalog.IDEMPOTENCY_KEY_ATTRIBUTE,
        expiry_attr=catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE,
        boto3_client=dynamodb_client(),
    )
    once = idempotent_function(
        function, data_keyword_argument="delivery", persistence_store=store, config=IDEMPOTENCY_CONFIG
    )
    return cast(Callable[..., dict[str, Any]], once)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: dict[str, ChannelReceipt]
    failed: dict[str, Exception]


class Deliveries:
    """Every configured channel, each delivering a message at most once."""

    def __init__(self, channels: Sequence[Channel]) -> None:
        self.channels = tuple(channels)
        self._once = once_per_delivery(self._deliver_on_channel)

    def _deliver_on_channel(
        self, *, delivery: dict[str, str | None], channel: Channel, message: Message
    ) -> dict[str, str]:
        try:
            receipt = channel.deliver(message)
        except UnconfirmedPostError as unconfirmed:
            # The post may have been taken: recorded as delivered, so no retry sends a second copy; the email
            # (always on) is the backstop should it have been lost (docs/alerting.md).
            logger.warning("unconfirmed delivery, not resent", extra={"channel": channel.name})
            receipt = ChannelReceipt(channel=channel.name, reference=f"unconfirmed: {unconfirmed}"[:120])
        logger.info("delivered", extra={"channel": channel.name, "reference": receipt.reference})
        return {"channel": receipt.channel, "reference": receipt.reference}

    def deliver(self, message: Message) -> DeliveryOutcome:
        """Offers the message to every channel in order; one failing never keeps it from the next."""
        delivered: dict[str, ChannelReceipt] = {}
        failed: dict[str, Exception] = {}
        for channel in self.channels:
            delivery = {"sns_message_id": message.delivery_id, "channel": channel.name}
            try:
                delivered[channel.name] = ChannelReceipt(
                    **self._once(delivery=delivery, channel=channel, message=message)
                )
            except Exception as error:  # each channel's failure is its own; raised after the others had their turn
                # The error names the channel and its answer, never its URL (functions/common/http.py).
                logger.error(
                    "not delivered", extra={"channel": channel.name, "error": f"{type(error).__name__}: {error}"}
                )
                failed[channel.name] = error
        return DeliveryOutcome(delivered=delivered, failed=failed)


def raise_for_failures(outcome: DeliveryOutcome) -> None:
    """Fails the invocation when a channel failed (after every other channel was delivered)."""
    failures = list(outcome.failed.values())
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise ChannelDeliveryError("; ".join(f"{type(error).__name__}: {error}" for error in failures))


def configured_channels() -> tuple[Channel, ...]:
    """Email first, then the channels ALERT_CHANNELS names (`<channel>=<parameter name>`, comma-separated)."""
    recipients = tuple(
        address.strip() for address in required_env(catalog.ALERT_RECIPIENTS_ENV).split(",") if address.strip()
    )
    if not recipients:
        raise RuntimeError(f"environment variable {catalog.ALERT_RECIPIENTS_ENV} names no address")
    email = EmailChannel(
        boto3.client("sesv2", config=_SES_CONFIG),
        required_env(catalog.SENDER_EMAIL_ENV),
        recipients,
        boto3.client("ses", config=_SES_CONFIG),
    )
    configured = [entry.partition("=") for entry in os.environ.get(catalog.ALERT_CHANNELS_ENV, "").split(",")]
    optional = [(name.strip(), parameter.strip()) for name, _, parameter in configured if name]
    if not optional:
        return (email,)
    # Imported here, so an email-only cold start does not load it; a provider of our own, since
    # `parameters.get_parameter()`'s default client waits up to 60 s per attempt.
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    store = SSMProvider(boto_config=_DYNAMODB_AND_SSM_CONFIG)
    return (email, *(_optional_channel(name, SecretUrl(store, name, p)) for name, p in optional))


def _optional_channel(channel: str, url: Callable[[], str]) -> Channel:
    if channel == catalog.SLACK_CHANNEL:
        return SlackChannel(webhook_url=url)
    if channel == catalog.WEBHOOK_CHANNEL:
        return WebhookChannel(url=url)
    raise RuntimeError(f"environment variable {catalog.ALERT_CHANNELS_ENV} names an unknown channel {channel!r}")


@dataclass(frozen=True)
class SecretUrl:
    """Reads a channel's URL from its SecureString parameter when a delivery needs it, so an SSM failure fails
    that channel only. NOTE: with the AWS-managed key (alias/aws/ssm) ssm:GetParameter suffices, no kms:Decrypt:
    that key's policy lets the account decrypt through SSM.
    https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html"""

    store: Any  # Powertools Parameters' SSMProvider, shared by a container's channels (it caches the values)
    channel: str
    parameter_name: str

    def __call__(self) -> str:
        try:
            value = self.store.get(self.parameter_name, max_age=SECRET_MAX_AGE_SECONDS, decrypt=True)
        except Exception as error:  # GetParameterError quotes SSM's error code and the name, never the value
            problem = f"could not read SSM parameter {self.parameter_name}: {error}"
            raise ChannelDeliveryError(f"{self.channel}: {problem}") from None
        if not isinstance(value, str) or not value.strip():
            raise ChannelDeliveryError(f"{self.channel}: SSM parameter {self.parameter_name} holds no URL")
        return value.strip()
