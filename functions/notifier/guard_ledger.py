"""The throttle guard's ledger: which state change of the spike alarm last set the stage, in the notifier's
idempotency table, so that an older change delivered late never undoes a newer one.

Why: the per-message idempotency record stops a redelivered message from acting twice, but not a message that
acts late. An ALARM whose stage update failed is retried by Lambda (and may wait in its queue for hours, or come
back from the dead-letter queue) and could then arrive after the alarm's OK, engaging the guard with the alarm OK
(or an old OK release it during a new spike). Each change carries CloudWatch's StateChangeTime; the ledger keeps
the newest one applied, with a conditional write, and refuses an older one.
NOTE: a condition that fails writes nothing, and each write to one item is applied atomically.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.notifier.guard import GuardError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_KEY_PREFIX: Final = "throttle-guard#"
"""Its item's key in the idempotency table, beside (never equal to) Powertools' hashed keys; it has no expiry."""
_APPLIED_AT: Final = "applied_state_change_at"


class DynamoDBGuardLedger:
    """GuardLedger on the notifier's idempotency table (the notifier may already PutItem there)."""

    def __init__(self, client: DynamoDBClient, *, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def claim(self, alarm_name: str, changed_at: datetime) -> bool:
        if changed_at.tzinfo is None:
            raise GuardError("the alarm's state change time has no time zone")
        # ISO 8601 in UTC with a fixed precision, so the strings sort as the times do.
        at = changed_at.astimezone(UTC).isoformat(timespec="milliseconds")
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={catalog.IDEMPOTENCY_KEY_ATTRIBUTE: {"S": _KEY_PREFIX + alarm_name}, _APPLIED_AT: {"S": at}},
                ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
                ExpressionAttributeNames={"#at": _APPLIED_AT},
                ExpressionAttributeValues={":at": {"S": at}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise GuardError(f"the guard's ledger could not be written: {error}") from error
        except BotoCoreError as error:
            raise GuardError(f"the guard's ledger could not be written: {error}") from error
        return True
