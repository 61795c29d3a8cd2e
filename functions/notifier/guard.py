"""The throttle guard: while the API's request-spike alarm is in ALARM, the API stage's default-route throttle is
lowered to the guard's limits; when the alarm is OK again, the configured limits are put back.

Plain domain code: `decide` reads the parsed alarm change, `apply_guard` sets the limits through a StageThrottle
(the port; guard_stage.py is its API Gateway adapter) and says what happened as a GuardOutcome, which every
channel shows (`as_fact`). Setting absolute limits is idempotent: doing it twice leaves the stage as doing it once;
and a change that arrives after a newer one (a retried ALARM after its OK) does nothing, which a GuardLedger
decides from the changes' StateChangeTime (guard_ledger.py).
A failure is an outcome, not an exception, so the alert still goes out saying the guard failed; the handler then
fails the invocation (app.py), which the alerting-health alarm `notifier-errors` reports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from functions.notifier.alarm_message import AlarmState, AlarmStateChange


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

    def limits_for(self, action: GuardAction) -> ThrottleLimits:
        return self.guarded if action is GuardAction.ENGAGE else self.normal


class StageThrottle(Protocol):
    """The API stage's default-route throttle."""

    def set_limits(self, limits: ThrottleLimits) -> None:
        """Sets the stage's rate and burst limits; raises GuardError when API Gateway refuses."""
        ...


class GuardLedger(Protocol):
    """Which state change of the guarded alarm last set the stage (guard_ledger.py)."""

    def claim(self, alarm_name: str, changed_at: datetime) -> bool:
        """Records this change as the newest applied one; False (and nothing written) when a newer one was."""
        ...


@dataclass(frozen=True)
class GuardOutcome:
    action: GuardAction
    limits: ThrottleLimits
    error: str | None = None
    """Why the limits could not be set; None when they were."""
    superseded: bool = False
    """Nothing was done: a newer state change of the alarm had already set the stage."""

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_fact(self) -> tuple[str, str]:
        """The row every channel shows: what the guard did to the stage throttle, or that it failed to."""
        verb = "lowered" if self.action is GuardAction.ENGAGE else "restored"
        if self.superseded:
            return (
                "Throttle guard",
                f"not {verb}: this change arrived late, and a newer one of the alarm had already set the API stage "
                "throttle",
            )
        if self.error is None:
            what = "engaged" if self.action is GuardAction.ENGAGE else "released"
            return ("Throttle guard", f"{what}: API stage throttle {verb} to {self.limits.describe()}")
        return (
            "Throttle guard",
            f"FAILED to {self.action.value}: the API stage throttle was not {verb} to {self.limits.describe()} "
            f"({self.error})",
        )

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
    """Engage on the guarded alarm's ALARM, release on its OK (whatever the state before: an ALARM that went
    through INSUFFICIENT_DATA still ends in a release); nothing for any other alarm or state."""
    if change.alarm_name != settings.alarm_name:
        return None
    if change.new_state is AlarmState.ALARM:
        return GuardAction.ENGAGE
    if change.new_state is AlarmState.OK:
        return GuardAction.RELEASE
    return None


def apply_guard(
    action: GuardAction,
    settings: GuardSettings,
    stage: StageThrottle,
    *,
    ledger: GuardLedger | None = None,
    changed_at: datetime | None = None,
) -> GuardOutcome:
    """Sets the action's limits on the stage, unless the ledger knows a newer change of the alarm (when the change
    has a time); a failure of any kind is the outcome's error, never lost."""
    limits = settings.limits_for(action)
    try:
        if ledger is not None and changed_at is not None and not ledger.claim(settings.alarm_name, changed_at):
            return GuardOutcome(action, limits, superseded=True)
        stage.set_limits(limits)
    except Exception as error:  # GuardError from the adapter, or anything unexpected: the alert says so
        return GuardOutcome(action, limits, f"{type(error).__name__}: {error}")
    return GuardOutcome(action, limits)


def with_outcome(change: AlarmStateChange, outcome: GuardOutcome) -> AlarmStateChange:
    """The change with the guard's outcome among the facts every channel shows."""
    return replace(change, actions_taken=(*change.actions_taken, outcome.as_fact()))
