"""Lambda entry point of the alarm notifier: an SNS event from the alarm topic → the alert on every channel
(email always; Slack and a JSON webhook when `alert_channels` configures them).

The handler wires the pieces; reading, rendering and delivering live in channel.py and the adapters it uses.
Delivery guarantees, and where each comes from:
- at most one delivery per SNS message and channel: SNS delivers at least once, so each (message id, channel)
  pair is recorded in DynamoDB (Powertools idempotency, one record per channel) and a redelivery returns the
  stored receipt of each channel instead of delivering again;
- channels are independent: every channel is offered the alert even when another fails, and a failed channel
  fails the invocation only after the others were delivered; Lambda's retries (2, infra/notifier.py) then
  deliver only the failed channel, whose record was removed, and after them the event waits in the
  dead-letter queue. The alerting-health alarms on the notifier's errors and dead letters bypass this function;
- no silent loss: an unreadable message is forwarded raw;
- the throttle guard (guard.py) acts before any channel delivers, at most once per SNS message (its own
  idempotency record), and its outcome is part of the alert; a failed guard is delivered, then fails the invocation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
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
from functions.notifier.channel import (
    Alert,
    Channel,
    ChannelDeliveryError,
    ChannelReceipt,
    deliver_everywhere,
    digest_alert,
    read_alert,
)
from functions.notifier.delivery import notification_from_record, raise_for_failures, receipt_of, sns_message_id
from functions.notifier.digest import build_digest
from functions.notifier.guard import (
    GuardAction,
    GuardError,
    GuardOutcome,
    GuardSettings,
    ThrottleLimits,
    apply_guard,
    decide,
    with_outcome,
)
from functions.notifier.guard_ledger import DynamoDBGuardLedger
from functions.notifier.guard_stage import ApiGatewayStageThrottle
from functions.notifier.probe_failure import is_site_unavailable
from functions.notifier.probe_failure import with_probe_failure as add_probe_failure
from functions.notifier.sender import EmailChannel, EmailSender
from functions.notifier.slack import SlackChannel
from functions.notifier.webhook import WebhookChannel

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.parameters import SSMProvider
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_cloudwatch.client import CloudWatchClient

logger = Logger(service=catalog.NOTIFIER_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.NOTIFIER_SERVICE)

IDEMPOTENCY_WINDOW_SECONDS: Final = 24 * 60 * 60
"""How long a delivery is remembered (the table's TTL then deletes it). Longer than anything that can
redeliver it: Lambda keeps an async event for at most 6 hours (infra/notifier.py) and SNS retries within that."""

# One record per (SNS MessageId, channel): the same alarm change published twice is two messages (delivered
# twice), the same message delivered twice is one, and a channel's failure removes only its own record.
# NOTE: a record without a MessageId (not from SNS) makes the key null (`&&` short-circuits): it is delivered
# without the idempotency check, never dropped.
_CHANNEL_DELIVERY_KEY: Final = "sns_message_id && [sns_message_id, channel]"

SECRET_MAX_AGE_SECONDS: Final = 300
"""A channel URL read from SSM is reused by the container for this long (Powertools Parameters' cache): one
GetParameter per channel per cold start, and a rotated URL is picked up within 5 minutes."""

# SES and SSM answer in well under a second; a few attempts ride out a blip, and the function's timeout
# (infra/notifier.py) leaves room for them and for the idempotency table.
_SES_CONFIG: Final = Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 3, "mode": "standard"})
_DYNAMODB_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3, "mode": "standard"}
)
_SSM_CONFIG: Final = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3, "mode": "standard"})
_LOGS_CONFIG: Final = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 2, "mode": "standard"})
_CLOUDWATCH_CONFIG: Final = Config(
    connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 3, "mode": "standard"}
)
# UpdateStage answers in well under a second; two quick attempts, inside the timeout's guard budget (infra/notifier.py).
_APIGATEWAY_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"}
)
_COUNTED_DELIVERIES: Final = {catalog.EMAIL_CHANNEL: catalog.ALERT_EMAILS_SENT_METRIC}


def _already_delivered(response: Any, idempotent_data: DataRecord) -> Any:
    # A redelivery is not an error, but it must not be invisible either.
    logger.info("duplicate SNS message: already delivered on this channel", extra={"receipt": response})
    return response


IDEMPOTENCY_CONFIG: Final = IdempotencyConfig(
    event_key_jmespath=_CHANNEL_DELIVERY_KEY,
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
    response_hook=_already_delivered,
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


@cache
def secret_store() -> SSMProvider:
    """Powertools Parameters' SSM provider: one client per container, values cached SECRET_MAX_AGE_SECONDS.
    A provider of our own rather than `parameters.get_parameter()`, whose default client waits up to 60 s per
    attempt: this one's timeouts fit the notifier's (infra/notifier.py). Imported here, so an email-only
    notifier's cold start does not load it (about 2 ms)."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto_config=_SSM_CONFIG)


def secret_url(channel: str, parameter_name: str) -> Callable[[], str]:
    """Reads a channel's URL from its SecureString parameter when a delivery needs it, so an SSM failure fails
    that channel only. NOTE: GetParameter WithDecryption; with the AWS-managed key (alias/aws/ssm) the role
    needs ssm:GetParameter on the parameter and no kms:Decrypt of its own, since that key's policy lets every
    principal of the account decrypt through SSM.
    https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html"""

    def read() -> str:
        try:
            value = secret_store().get(parameter_name, max_age=SECRET_MAX_AGE_SECONDS, decrypt=True)
        except Exception as error:  # GetParameterError quotes SSM's error code and the name, never the value
            raise ChannelDeliveryError(f"{channel}: could not read SSM parameter {parameter_name}: {error}") from None
        if not isinstance(value, str) or not value.strip():
            raise ChannelDeliveryError(f"{channel}: SSM parameter {parameter_name} holds no URL")
        return value.strip()

    return read


def _optional_channel(channel: str, parameter_name: str) -> Channel:
    if channel == catalog.SLACK_CHANNEL:
        return SlackChannel(webhook_url=secret_url(channel, parameter_name))
    if channel == catalog.WEBHOOK_CHANNEL:
        return WebhookChannel(url=secret_url(channel, parameter_name))
    raise RuntimeError(f"environment variable {catalog.ALERT_CHANNELS_ENV} names an unknown channel {channel!r}")


@cache
def channels() -> tuple[Channel, ...]:
    """Email first, then the channels ALERT_CHANNELS names (`<channel>=<parameter name>`, comma-separated)."""
    configured = [entry.partition("=") for entry in os.environ.get(catalog.ALERT_CHANNELS_ENV, "").split(",")]
    optional = [_optional_channel(name.strip(), parameter.strip()) for name, _, parameter in configured if name]
    return (EmailChannel(email_sender()), *optional)


def _deliver_on_channel(*, delivery: dict[str, str | None], channel: Channel, alert: Alert) -> dict[str, str]:
    """One channel's delivery; behind the idempotency table, keyed on `delivery` (message id and channel)."""
    receipt = channel.deliver(alert)
    if channel.name in _COUNTED_DELIVERIES and alert.digest is None:  # the digest is no alert
        metrics.add_metric(name=_COUNTED_DELIVERIES[channel.name], unit=MetricUnit.Count, value=1)
        if alert.change is None:
            metrics.add_metric(name=catalog.UNREADABLE_ALERTS_METRIC, unit=MetricUnit.Count, value=1)
    logger.info("alert delivered", extra={"channel": channel.name, "reference": receipt.reference})
    return {"channel": receipt.channel, "reference": receipt.reference}


def _persistence() -> DynamoDBPersistenceLayer:
    """The idempotency table's layer; each cached user (deliver_once, guard_once) makes its own, once."""
    return DynamoDBPersistenceLayer(
        table_name=_required_env(catalog.IDEMPOTENCY_TABLE_ENV),
        key_attr=catalog.IDEMPOTENCY_KEY_ATTRIBUTE,
        expiry_attr=catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE,
        boto3_client=boto3.client("dynamodb", config=_DYNAMODB_CONFIG),
    )


@cache
def deliver_once() -> Callable[[Channel, Alert], ChannelReceipt]:
    """_deliver_on_channel behind the idempotency table; created on first use, like the clients."""
    decorated = cast(
        Callable[..., dict[str, str]],
        idempotent_function(
            _deliver_on_channel,
            data_keyword_argument="delivery",
            persistence_store=_persistence(),
            config=IDEMPOTENCY_CONFIG,
        ),
    )

    def once(channel: Channel, alert: Alert) -> ChannelReceipt:
        delivery = {"sns_message_id": alert.delivery_id, "channel": channel.name}
        return ChannelReceipt(**decorated(delivery=delivery, channel=channel, alert=alert))

    return once


@cache
def logs_client() -> Any:
    """The probe's log group reader (site-unavailable emails): two quick attempts, well inside the timeout."""
    return boto3.client("logs", config=_LOGS_CONFIG)


def with_probe_failure(alert: Alert) -> Alert:
    """A site-unavailable alert carries the probe's latest failed check and the answer seen (probe_failure.py)."""
    log_group = os.environ.get(catalog.PROBE_LOG_GROUP_ENV)  # unset: no probe deployed, nothing to add
    change = alert.change
    if change is None or not log_group or not is_site_unavailable(change, alert.links.stack_name):
        return alert
    return replace(alert, change=add_probe_failure(change, logs_client(), log_group))


@cache
def guard_settings() -> GuardSettings | None:
    """The throttle guard's alarm and limits; None when the stack gives the notifier no API to guard."""
    if not os.environ.get(catalog.GUARD_API_ID_ENV):
        return None
    return GuardSettings(
        alarm_name=catalog.alarm_name(_required_env(catalog.STACK_NAME_ENV), catalog.API_REQUEST_SPIKE_ALARM),
        guarded=ThrottleLimits(
            float(_required_env(catalog.GUARD_RATE_ENV)), int(_required_env(catalog.GUARD_BURST_ENV))
        ),
        normal=ThrottleLimits(
            float(_required_env(catalog.NORMAL_RATE_ENV)), int(_required_env(catalog.NORMAL_BURST_ENV))
        ),
    )


@cache
def stage_throttle() -> ApiGatewayStageThrottle:
    return ApiGatewayStageThrottle(
        boto3.client("apigatewayv2", config=_APIGATEWAY_CONFIG),
        api_id=_required_env(catalog.GUARD_API_ID_ENV),
        stage_name=_required_env(catalog.GUARD_STAGE_NAME_ENV),
    )


class _GuardFailedError(GuardError):
    def __init__(self, outcome: GuardOutcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


@cache
def guard_ledger() -> DynamoDBGuardLedger:
    return DynamoDBGuardLedger(
        boto3.client("dynamodb", config=_DYNAMODB_CONFIG), table_name=_required_env(catalog.IDEMPOTENCY_TABLE_ENV)
    )


def _guard_stage(*, delivery: dict[str, str | None], action: str, changed_at: datetime | None) -> dict[str, Any]:
    """The stage update, behind the idempotency table like a channel: a redelivered message does not touch the
    stage again, and the ledger refuses a change older than the last one applied (an old ALARM retried after its
    OK). A failure raises, which removes the idempotency record: a retry tries again."""
    settings = guard_settings()
    assert settings is not None
    outcome = apply_guard(GuardAction(action), settings, stage_throttle(), ledger=guard_ledger(), changed_at=changed_at)
    if outcome.failed:
        raise _GuardFailedError(outcome)
    return outcome.as_dict()


@cache
def guard_once() -> Callable[[GuardAction, str | None, datetime | None], GuardOutcome]:
    decorated = cast(
        Callable[..., dict[str, Any]],
        idempotent_function(
            _guard_stage, data_keyword_argument="delivery", persistence_store=_persistence(), config=IDEMPOTENCY_CONFIG
        ),
    )

    def once(action: GuardAction, delivery_id: str | None, changed_at: datetime | None) -> GuardOutcome:
        delivery = {"sns_message_id": delivery_id, "channel": catalog.GUARD_CHANNEL}
        try:
            return GuardOutcome.from_dict(decorated(delivery=delivery, action=action.value, changed_at=changed_at))
        except _GuardFailedError as failed:
            return failed.outcome

    return once


def with_guard(alert: Alert) -> tuple[Alert, GuardOutcome | None]:
    """Engages or releases the throttle guard for the spike alarm's changes, before any channel delivers, and
    adds what it did (or that it failed) to the alert. A failed guard gives the alert its own delivery id
    (`<message id>:guard-failed`): each channel gets the failure once, and a retry whose guard then succeeds
    delivers that news too, once."""
    settings, change = guard_settings(), alert.change
    action = decide(change, settings) if change is not None and settings is not None else None
    if action is None or change is None:
        return alert, None
    outcome = guard_once()(action, alert.delivery_id, change.changed_at)
    alert = replace(alert, change=with_outcome(change, outcome))
    if outcome.failed:
        logger.error("throttle guard failed", extra={"guard": outcome.as_dict()})
        if alert.delivery_id is not None:
            alert = replace(alert, delivery_id=f"{alert.delivery_id}:guard-failed")
    else:
        logger.info("throttle guard applied", extra={"guard": outcome.as_dict()})
    return alert, outcome


def _deliver_record(record: Any, to: Sequence[Channel]) -> dict[str, Any]:
    alert = read_alert(notification_from_record(record), sns_message_id(record), alert_links())
    alert = with_probe_failure(alert)
    alert, guard = with_guard(alert)
    outcome = deliver_everywhere(alert, to, deliver_once())
    receipt = receipt_of(alert, outcome)
    if receipt.forwarded_raw:
        logger.warning("unreadable message forwarded raw", extra={"receipt": receipt.as_dict()})
    for channel, error in outcome.failed.items():
        # The error names the channel and its answer, never its URL (http_post.py).
        logger.error("alert not delivered", extra={"channel": channel, "error": f"{type(error).__name__}: {error}"})
    raise_for_failures(outcome)
    if guard is not None and guard.failed:
        # Delivered first, so the owner reads the failure; failing the invocation then alarms on the alerting-health
        # path (notifier-errors) and has Lambda retry the stage update.
        raise GuardError(f"throttle guard failed to {guard.action.value}: {guard.error}")
    return receipt.as_dict() | ({"guard": guard.as_dict()} if guard is not None else {})


@cache
def cloudwatch_client() -> CloudWatchClient:
    """For the weekly digest only: GetMetricData and DescribeAlarmHistory."""
    return boto3.client("cloudwatch", config=_CLOUDWATCH_CONFIG)


def scheduled_time(event: dict[str, Any]) -> datetime:
    """When the schedule fired (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, ISO 8601 UTC): the
    same on every retry of one run, so a retry reports the same week and keys the same deliveries."""
    value = event.get("scheduled_time")
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"the digest event's scheduled_time {value!r} is not an ISO 8601 time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def send_digest(event: dict[str, Any], to: Sequence[Channel]) -> dict[str, Any]:
    """The weekly digest, built from CloudWatch as of the scheduled time, on every channel (each idempotent on
    `digest:<scheduled time>`, so Lambda's and Scheduler's retries send nothing twice)."""
    links = alert_links()
    at = scheduled_time(event)
    alarm_names = [catalog.alarm_name(links.stack_name, alarm_id) for alarm_id in sorted(links.alarm_ids)]
    digest = build_digest(
        cloudwatch_client(),
        alarm_names,
        now=at,
        so_far=event.get("so_far") is True,
        delivery_id=f"digest:{at.astimezone(UTC).isoformat()}",
    )
    if digest.history_problem:
        logger.warning("alarm history not read for the digest", extra={"problem": digest.history_problem})
    outcome = deliver_everywhere(digest_alert(digest, links), to, deliver_once())
    for channel, error in outcome.failed.items():
        logger.error("digest not delivered", extra={"channel": channel, "error": f"{type(error).__name__}: {error}"})
    raise_for_failures(outcome)
    deliveries = {name: receipt.reference for name, receipt in outcome.delivered.items()}
    return {"digest": digest.delivery_id, "deliveries": deliveries}


def handle(event: dict[str, Any], to: Sequence[Channel]) -> dict[str, Any]:
    """Delivers every record (SNS sends one per invocation) to the channels, or the weekly digest when the
    schedule's event asks for it. An event without records is forwarded whole."""
    if event.get("kind") == catalog.DIGEST_EVENT_KIND:
        return send_digest(event, to)
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        records = [event]
    return {"receipts": [_deliver_record(record, to) for record in records]}


@logger.inject_lambda_context(correlation_id_path="Records[0].Sns.MessageId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Lets Powertools expire an in-progress record when this invocation times out, so the retry can deliver.
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return handle(event, channels())
