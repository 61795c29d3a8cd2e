"""A quiet inbox (docs/alerting.md, "A quiet inbox"): the owner hears of an alarm that fires and of the OK that
resolves it, nothing else. Which alarms the owner was told are in ALARM is one item per alarm on the notifier's
idempotency table, so an OK after ALARM → INSUFFICIENT_DATA still resolves it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Final

from functions.common import catalog
from functions.notifier.alarm_message import AlarmState, AlarmStateChange
from functions.notifier.alert import Alert
from functions.notifier.delivery import put_unless_newer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_KEY_PREFIX: Final = "told-in-alarm#"
_STATE: Final = "state"
_CHANGED_AT: Final = "state_changed_at"


class AlarmMemory:
    """DynamoDB errors propagate: the deliveries need the same table, so the invocation fails and is retried."""

    def __init__(self, client: DynamoDBClient, *, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def screen(self, alert: Alert) -> tuple[Alert, str | None]:
        """The alert (an OK marked as resolving an alarm), and why it is not sent (None: it is sent)."""
        change = alert.change
        if change is None or change.new_state is AlarmState.ALARM:
            if change is not None:  # remembered before any channel delivers
                self._write(change, AlarmState.ALARM)
            return alert, None
        if change.new_state is AlarmState.INSUFFICIENT_DATA:
            return alert, "INSUFFICIENT_DATA is not news: the alarm's OK or ALARM will follow"
        if change.old_state is not AlarmState.ALARM and not self._told_in_alarm(change.alarm_name):
            return alert, f"an OK after {change.old_state or 'an unknown state'}: the owner was told of no ALARM"
        return replace(alert, change=replace(change, resolves_alarm=True)), None

    def forget(self, alert: Alert) -> None:
        """After a RESOLVED went out on every channel: a later OK after INSUFFICIENT_DATA is no news again."""
        if alert.change is not None and alert.change.resolves_alarm:
            self._write(alert.change, AlarmState.OK)

    def _told_in_alarm(self, alarm_name: str) -> bool:
        key = {catalog.IDEMPOTENCY_KEY_ATTRIBUTE: {"S": _KEY_PREFIX + alarm_name}}
        item = self._client.get_item(TableName=self._table_name, Key=key, ConsistentRead=True).get("Item", {})
        return item.get(_STATE, {}).get("S") == AlarmState.ALARM.value

    def _write(self, change: AlarmStateChange, state: AlarmState) -> None:
        key, attributes = _KEY_PREFIX + change.alarm_name, {_STATE: state.value}
        put_unless_newer(self._client, self._table_name, key, _CHANGED_AT, change.changed_at, attributes)
