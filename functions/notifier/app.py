"""Lambda entry point of the alarm notifier: an SNS event from the alarm topic → the alert on every channel.
One path per message (docs/alerting.md, "The notifier"): read the alert (alert.py) → enrich it (probe_failure.py,
guard.py) → keep the inbox quiet (alarm_memory.py) → deliver it on every channel (delivery.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.common import catalog
from functions.common.env import required_env
from functions.notifier.alarm_memory import AlarmMemory
from functions.notifier.alert import Alert, alerts_of
from functions.notifier.delivery import (
    IDEMPOTENCY_CONFIG,
    Deliveries,
    DeliveryOutcome,
    configured_channels,
    dynamodb_client,
    raise_for_failures,
)
from functions.notifier.guard import ThrottleGuard
from functions.notifier.presentation import AlertLinks
from functions.notifier.probe_failure import ProbeFailureDetails

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=catalog.NOTIFIER_SERVICE)

Step = Callable[[Alert], Alert]


@dataclass(frozen=True)
class Notifier:
    links: AlertLinks
    steps: Sequence[Step]
    deliveries: Deliveries
    memory: AlarmMemory

    def notify(self, alert: Alert) -> dict[str, Any]:
        for step in self.steps:  # the guard acts on every change, told to the owner or not
            alert = step(alert)
        alert, not_sent = self.memory.screen(alert)
        if not_sent is not None and alert.failure is None:
            outcome = DeliveryOutcome(delivered={}, failed={})
        else:
            not_sent, outcome = None, self.deliveries.deliver(alert)
        change = alert.change
        receipt = {
            "sns_message_id": alert.notification.message_id,
            "alarm_name": change.alarm_name if change else None,  # None: forwarded raw
            "new_state": change.new_state.value if change else None,
            "deliveries": {name: receipt.reference for name, receipt in outcome.delivered.items()},
            **({"not_sent": not_sent} if not_sent else {}),
            **alert.reports,
        }
        if change is None:
            logger.warning("unreadable message forwarded raw", extra={"receipt": receipt})
        elif not_sent:
            logger.info("not sent: nothing the owner must act on", extra={"receipt": receipt})
        raise_for_failures(outcome)
        self.memory.forget(alert)
        if alert.failure is not None:
            # Delivered first, so the owner reads the failure; failing the invocation then alarms on the
            # alerting-health path (notifier-errors) and has Lambda retry the step.
            raise alert.failure
        return receipt


@cache
def notifier() -> Notifier:
    """Built once per container on first use, so tests and the local runtime choose the endpoints."""
    steps = [step for step in (ProbeFailureDetails.from_environment(), ThrottleGuard.from_environment()) if step]
    memory = AlarmMemory(dynamodb_client(), table_name=required_env(catalog.IDEMPOTENCY_TABLE_ENV))
    return Notifier(AlertLinks.from_environment(), steps, Deliveries(configured_channels()), memory)


def handle(event: dict[str, Any], to: Notifier) -> dict[str, Any]:
    return {"receipts": [to.notify(alert) for alert in alerts_of(event, to.links)]}


@logger.inject_lambda_context(correlation_id_path="Records[0].Sns.MessageId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Lets Powertools expire an in-progress record when this invocation times out, so the retry can deliver.
    IDEMPOTENCY_CONFIG.register_lambda_context(context)
    return handle(event, notifier())
