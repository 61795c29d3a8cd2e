"""The throttle guard (docs/alerting.md, "Throttle guard"): while the API's request-spike alarm is in ALARM, the API
stage's default-route throttle is lowered to the guard's limits, and the configured limits are put back on its OK.
Its infrastructure is infra/guard.py. The decision (`decide`), the ledger (DynamoDBGuardLedger: a change older than
one already applied does nothing) and the stage call (ApiGatewayStageThrottle: absolute limits, so applying twice is
applying once) are run by one step, ThrottleGuard.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.common.env import required_env
from functions.notifier.alarm_message import AlarmState, AlarmStateChange
from functions.notifier.alert import Alert
from functions.notifier.delivery import dynamodb_client, once_per_delivery, put_unless_newer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

logger = Logger(service=catalog.NOTIFIER_SERVICE)

ApiGatewayV2Client = Any  # boto3's `apigatewayv2` client: no type stubs are installed for it
# UpdateStage answers in well under a second; two quick attempts, inside the timeout's guard budget (infra/notifier.py).
_APIGATEWAY_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"}
)


class GuardError(Exception):
    """The stage throttle could not be set; the text names what API Gateway answered."""


@dataclass(frozen=True)
class ThrottleLimits:
    rate_per_second: float
    burst_requests: int

    def describe(self) -> str:
        return f"{self.rate_per_second:g} requests/s, burst {self.burst_requests}"


class GuardAction(StrEnum):
    ENGAGE = "engage"
    RELEASE = "release"


@dataclass(frozen=True)
class GuardSettings:
    """Which alarm the guard follows and the two sets of limits (from the notifier's environment)."""

    alarm_name: str
    guarded: ThrottleLimits
    normal: ThrottleLimits


@dataclass(frozen=True)
class GuardOutcome:
    action: GuardAction
    limits: ThrottleLimits
    error: str | None = None
    """Why the limits could not be set; None when they were."""
    superseded: bool = False
    """Nothing was done: a newer state change of the alarm had already set the stage."""

    def as_fact(self) -> tuple[str, str]:
        """The row every channel shows: what the guard did to the stage throttle, or that it failed to."""
        engage = self.action is GuardAction.ENGAGE
        verb, limits = "lowered" if engage else "restored", self.limits.describe()
        if self.superseded:
            what = f"not {verb}: this change arrived late, and a newer one of the alarm had already set the API stage"
            return ("Throttle guard", f"{what} throttle")
        if self.error is None:
            return ("Throttle guard", f"{'engaged' if engage else 'released'}: API stage throttle {verb} to {limits}")
        what = f"FAILED to {self.action.value}: the API stage throttle was not {verb} to {limits}"
        return ("Throttle guard", f"{what} ({self.error})")

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "rate_per_second": self.limits.rate_per_second,
            "burst_requests": self.limits.burst_requests,
            "error": self.error,
            "superseded": self.superseded,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> GuardOutcome:
        limits = ThrottleLimits(float(value["rate_per_second"]), int(value["burst_requests"]))
        return cls(GuardAction(value["action"]), limits, value.get("error"), bool(value.get("superseded")))


def decide(change: AlarmStateChange, settings: GuardSettings) -> GuardAction | None:
    """Engage on the guarded alarm's ALARM, release on its OK whatever the state before; else nothing."""
    if change.alarm_name != settings.alarm_name:
        return None
    if change.new_state is AlarmState.ALARM:
        return GuardAction.ENGAGE
    if change.new_state is AlarmState.OK:
        return GuardAction.RELEASE
    return None


# The ledger: the idempotency record stops a redelivered message from acting twice, not one that acts late (an
# ALARM retried after its OK); docs/alerting.md, "Throttle guard". Its item has no expiry.
_KEY_PREFIX: Final = "throttle-guard#"
_APPLIED_AT: Final = "applied_state_change_at"


class DynamoDBGuardLedger:
    """Which state change of the guarded alarm last set the stage, on the notifier's idempotency table."""

    def __init__(self, client: DynamoDBClient, *, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def claim(self, alarm_name: str, changed_at: datetime) -> bool:
        """Records this change as the newest applied one; False (and nothing written) when a newer one was."""
        try:
            return put_unless_newer(
                self._client, self._table_name, _KEY_PREFIX + alarm_name, _APPLIED_AT, changed_at, {}
            )
        except (ClientError, BotoCoreError) as error:
            raise GuardError(f"the guard's ledger could not be written: {error}") from error


# The stage call. NOTE: UpdateStage (PATCH /v2/apis/{apiId}/stages/{stageName}) takes DefaultRouteSettings with
# ThrottlingRateLimit (requests/s, a double) and ThrottlingBurstLimit (an integer).
# https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages-stagename.html
# Maintenance: the reference does not say whether the other DefaultRouteSettings members are kept or reset; the
# stack sets none but the throttle (infra/api.py), so either way the stage ends as the template plus the new limits.
# NOTE: IAM authorizes it as `apigateway:PATCH` on the stage (infra/guard.py grants exactly that).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagementv2.html
_IDENTIFIERS: Final = re.compile(r"arn:aws[\w-]*:[^\s,;)]+|\b\d{12}\b")
"""ARNs and account ids in AWS's error messages (an AccessDenied names the role): the error text goes to Slack and
the webhook too, so they are left out; the code and the rest of the message say what went wrong."""


class ApiGatewayStageThrottle:
    """The default-route throttle of one HTTP API stage; AWS errors become GuardError at this boundary."""

    def __init__(self, client: ApiGatewayV2Client, *, api_id: str, stage_name: str) -> None:
        self._client = client
        self.api_id = api_id
        self.stage_name = stage_name

    def set_limits(self, limits: ThrottleLimits) -> None:
        try:
            self._client.update_stage(
                ApiId=self.api_id,
                StageName=self.stage_name,
                DefaultRouteSettings={
                    "ThrottlingRateLimit": float(limits.rate_per_second),
                    "ThrottlingBurstLimit": int(limits.burst_requests),
                },
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            code, message = details.get("Code", "unknown"), _IDENTIFIERS.sub("…", details.get("Message", ""))
            raise GuardError(
                f"UpdateStage of stage {self.stage_name} of API {self.api_id} refused: {code}: {message}"
            ) from error
        except BotoCoreError as error:  # no answer, a timeout, a refused connection
            raise GuardError(f"UpdateStage of stage {self.stage_name} of API {self.api_id} failed: {error}") from error


class ThrottleGuard:
    """The step: engages or releases the guard before any channel delivers, and adds what it did to the alert.
    A failed guard gives the alert its own delivery id (`<message id>:guard-failed`), so a retry whose guard then
    succeeds delivers that news too, once."""

    def __init__(self, settings: GuardSettings, stage: ApiGatewayStageThrottle, ledger: DynamoDBGuardLedger) -> None:
        self.settings = settings
        self.stage = stage
        self.ledger = ledger
        self._once = once_per_delivery(self._apply)

    @classmethod
    def from_environment(cls) -> ThrottleGuard | None:
        """None when the stack gives the notifier no API to guard (infra/guard.py sets these)."""
        if not os.environ.get(catalog.GUARD_API_ID_ENV):
            return None
        settings = GuardSettings(
            alarm_name=catalog.alarm_name(required_env(catalog.STACK_NAME_ENV), catalog.API_REQUEST_SPIKE_ALARM),
            guarded=ThrottleLimits(
                float(required_env(catalog.GUARD_RATE_ENV)), int(required_env(catalog.GUARD_BURST_ENV))
            ),
            normal=ThrottleLimits(
                float(required_env(catalog.NORMAL_RATE_ENV)), int(required_env(catalog.NORMAL_BURST_ENV))
            ),
        )
        stage = ApiGatewayStageThrottle(
            boto3.client("apigatewayv2", config=_APIGATEWAY_CONFIG),
            api_id=required_env(catalog.GUARD_API_ID_ENV),
            stage_name=required_env(catalog.GUARD_STAGE_NAME_ENV),
        )
        ledger = DynamoDBGuardLedger(dynamodb_client(), table_name=required_env(catalog.IDEMPOTENCY_TABLE_ENV))
        return cls(settings, stage, ledger)

    def _apply(self, *, delivery: dict[str, str | None], action: str, changed_at: datetime | None) -> dict[str, Any]:
        """The stage update, behind the idempotency table like a channel (`delivery` keys it); a failure raises,
        which removes the record, so a retry tries again."""
        limits = self._limits(GuardAction(action))
        if changed_at is not None and not self.ledger.claim(self.settings.alarm_name, changed_at):
            return GuardOutcome(GuardAction(action), limits, superseded=True).as_dict()
        self.stage.set_limits(limits)
        return GuardOutcome(GuardAction(action), limits).as_dict()

    def _limits(self, action: GuardAction) -> ThrottleLimits:
        return self.settings.guarded if action is GuardAction.ENGAGE else self.settings.normal

    def __call__(self, alert: Alert) -> Alert:
        change = alert.change
        action = decide(change, self.settings) if change is not None else None
        if action is None or change is None:
            return alert
        delivery = {"sns_message_id": alert.delivery_id, "channel": catalog.GUARD_CHANNEL}
        try:
            outcome = GuardOutcome.from_dict(
                self._once(delivery=delivery, action=action.value, changed_at=change.changed_at)
            )
        except GuardError as error:  # the stage or the ledger refused: the alert says so
            outcome = GuardOutcome(action, self._limits(action), f"{type(error).__name__}: {error}")
        change = replace(change, actions_taken=(*change.actions_taken, outcome.as_fact()))
        alert = replace(alert, change=change, reports={**alert.reports, "guard": outcome.as_dict()})
        if outcome.error is None:
            logger.info("throttle guard applied", extra={"guard": outcome.as_dict()})
            return alert
        logger.error("throttle guard failed", extra={"guard": outcome.as_dict()})
        delivery_id = f"{alert.delivery_id}:guard-failed" if alert.delivery_id is not None else None
        failure = GuardError(f"throttle guard failed to {outcome.action.value}: {outcome.error}")
        return replace(alert, delivery_id=delivery_id, failure=failure)
