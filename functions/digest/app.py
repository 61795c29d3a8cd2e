"""Lambda entry point of the weekly digest and of the notes (docs/alerting.md), invoked by EventBridge Scheduler
with the run's kind and scheduled time. A failed delivery fails the run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from functions.common import catalog
from functions.common.env import required_env
from functions.digest.figures import build_digest
from functions.digest.notes import NoteMessage, take_note
from functions.digest.readers import VisitsReader
from functions.digest.render import DigestMessage
from functions.notifier.delivery import IDEMPOTENCY_CONFIG, Deliveries, configured_channels, raise_for_failures
from functions.notifier.presentation import AlertLinks

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_dynamodb.client import DynamoDBClient

logger = Logger(service=catalog.DIGEST_SERVICE)

_CLOUDWATCH_CONFIG: Final = Config(
    connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 3, "mode": "standard"}
)


@cache
def cloudwatch_client() -> CloudWatchClient:
    return boto3.client("cloudwatch", config=_CLOUDWATCH_CONFIG)


@cache
def dynamodb_client() -> DynamoDBClient:
    # Reads and the notes' one conditional write: a retried conditional write is answered, never applied twice.
    return boto3.client("dynamodb", config=_CLOUDWATCH_CONFIG)


@cache
def deliveries() -> Deliveries:
    return Deliveries(configured_channels())


def scheduled_time(event: dict[str, Any]) -> datetime:
    """When the schedule fired (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, ISO 8601 UTC): the
    same on every retry of one run, so a retry reports the same week and keys the same deliveries."""
    value = event.get("scheduled_time")
    try:
        at = datetime.fromisoformat(str(value))  # Python 3.11 reads the trailing Z
    except ValueError:
        raise ValueError(f"the digest event's scheduled_time {value!r} is not an ISO 8601 time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The weekly digest, built from CloudWatch and the visits table as of the scheduled time (the week so far
    when `so_far`); or, for an event of kind NOTES_EVENT_KIND, the run's note."""
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    at, where = scheduled_time(event), AlertLinks.from_environment()
    table_name = required_env(catalog.TABLE_NAME_ENV)
    if event.get("kind") == catalog.NOTES_EVENT_KIND:
        note = take_note(dynamodb_client(), table_name, at)
        if note is None:
            return {"note": None, "deliveries": {}}
        message = NoteMessage(note, where)
        sent = deliveries().deliver(message)
        raise_for_failures(sent)
        return {"note": message.delivery_id, "deliveries": {name: r.reference for name, r in sent.delivered.items()}}
    alarm_names = [catalog.alarm_name(where.stack_name, alarm_id) for alarm_id in sorted(where.alarm_ids)]
    digest = build_digest(
        cloudwatch_client(),
        VisitsReader(dynamodb_client(), table_name),
        alarm_names,
        now=at,
        so_far=event.get("so_far") is True,
        delivery_id=f"digest:{at.astimezone(UTC).isoformat()}",
    )
    if digest.history_problem:
        logger.warning("alarm history not read for the digest", extra={"problem": digest.history_problem})
    outcome = deliveries().deliver(DigestMessage(digest, where))
    raise_for_failures(outcome)
    return {"digest": digest.delivery_id, "deliveries": {name: r.reference for name, r in outcome.delivered.items()}}
