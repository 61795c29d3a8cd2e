"""A quiet inbox: the owner hears of an alarm that fires and of the OK that resolves it, nothing else
(docs/alerting.md, "A quiet inbox"). An OK after INSUFFICIENT_DATA (a new alarm, a deploy) is no news, unless the
alarm had gone ALARM → INSUFFICIENT_DATA on the way: CloudWatch's message for that last step says only
OldStateValue INSUFFICIENT_DATA, so the notifier remembers which alarms it told the owner are in ALARM.

One item per alarm on the notifier's idempotency table (key `told-in-alarm#<alarm name>`, no expiry), written on
ALARM and on the RESOLVED that follows: one write per state change the owner hears of, one read per other OK.
The write is conditional on StateChangeTime, so an ALARM retried after its OK does not revive it.
NOTE: a condition that fails writes nothing.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import TYPE_CHECKING, Final

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.notifier.alarm_message import AlarmState, AlarmStateChange
from functions.notifier.alert import Alert

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

logger = Logger(service=catalog.NOTIFIER_SERVICE)

_KEY_PREFIX: Final = "told-in-alarm#"
_STATE: Final = "state"
_CHANGED_AT: Final = "state_changed_at"


class AlarmMemory:
    def __init__(self, client: DynamoDBClient, *, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def screen(self, alert: Alert) -> tuple[Alert, str | None]:
        """The alert (an OK that resolves an alarm marked so), and why it is not sent (None: it is sent)."""
        change = alert.change
        if change is None or change.new_state is AlarmState.ALARM:
            if change is not None:  # remembered before any channel delivers; a failure fails the invocation
                try:
                    self._write(change, AlarmState.ALARM)
                except (ClientError, BotoCoreError) as error:
                    return replace(alert, failure=alert.failure or error), None
            return alert, None
        if change.new_state is AlarmState.INSUFFICIENT_DATA:
            return alert, "INSUFFICIENT_DATA is not news: the alarm's OK or ALARM will follow"
        if change.old_state is not AlarmState.ALARM and not self._told_in_alarm(change.alarm_name):
            return alert, f"an OK after {change.old_state or 'an unknown state'}: the owner was told of no ALARM"
        return replace(alert, change=replace(change, resolves_alarm=True)), None

    def forget(self, alert: Alert) -> None:
        """After a RESOLVED went out on every channel: a later OK after INSUFFICIENT_DATA is no news again."""
        change = alert.change
        if change is None or not change.resolves_alarm:
            return
        try:
            self._write(change, AlarmState.OK)
        except (ClientError, BotoCoreError) as error:  # the cost: one more RESOLVED email some day
            logger.error("could not forget the ALARM", extra={"alarm": change.alarm_name, "error": str(error)})

    def _told_in_alarm(self, alarm_name: str) -> bool:
        try:
            item = self._client.get_item(
                TableName=self._table_name,
                Key={catalog.IDEMPOTENCY_KEY_ATTRIBUTE: {"S": _KEY_PREFIX + alarm_name}},
                ConsistentRead=True,
            ).get("Item", {})
        except (ClientError, BotoCoreError) as error:  # cannot tell: rather one OK too many than a lost RESOLVED
            logger.error("could not read whether the owner was told of an ALARM", extra={"error": str(error)})
            return True
        return item.get(_STATE, {}).get("S") == AlarmState.ALARM.value

    def _write(self, change: AlarmStateChange, state: AlarmState) -> None:
        item = {
            catalog.IDEMPOTENCY_KEY_ATTRIBUTE: {"S": _KEY_PREFIX + change.alarm_name},
            _STATE: {"S": state.value},
        }
        try:  # ISO 8601 in UTC with a fixed precision, so the strings sort as the times do
            at = change.changed_at.astimezone(UTC).isoformat(timespec="milliseconds")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OverflowError):  # no time, or one out of range
            self._client.put_item(TableName=self._table_name, Item=item)
            return
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={**item, _CHANGED_AT: {"S": at}},
                ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
                ExpressionAttributeNames={"#at": _CHANGED_AT},
                ExpressionAttributeValues={":at": {"S": at}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise  # a newer state change is already remembered: nothing to write
