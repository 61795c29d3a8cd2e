"""`make drill SCENARIO=request-spike`: the request-spike scenario of the provocation library (provocations.py) on a
fresh local system — a sustained burst fires api-request-spike; the notifier's throttle guard lowers the stage
throttle (its real UpdateStage call, answered by tools/local/apigateway/stage_control.py) and the API then answers
429 beyond the guard's rate; the email says the guard engaged. The burst stops, the alarm goes OK, the guard
restores the configured throttle, and the resolved email says so. Every wait is bounded."""

from __future__ import annotations

from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from tools.local.drills import provocations
from tools.local.drills.provocations import GuardOutcome, Lab, Limits, Outcome
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem

GUARD_LINE = "Throttle guard"
ADMITTED_SLACK = 2
"""Requests beyond the guard's rate times the time plus its burst still taken as its own (in flight at the
window's edge)."""


def run_request_spike(
    system: LocalSystem, rate: float, guarded_seconds: float, timeout_seconds: float
) -> tuple[str, Outcome]:
    """Sends at `rate` until the guard engages, `guarded_seconds` more under it, then waits for the release."""
    lab = Lab(system, step_timeout_seconds=timeout_seconds)
    provocations.request_spike(lab, rate, guarded_seconds)
    return lab.alarm_name(API_REQUEST_SPIKE_ALARM), lab.outcomes[API_REQUEST_SPIKE_ALARM]


def passed(outcome: Outcome) -> bool:
    guard = outcome.guard
    if guard is None or guard.guarded is None:
        return False
    allowed = guard.guarded[0] * guard.guarded_seconds + guard.guarded[1] + ADMITTED_SLACK
    return (
        guard.while_guarded.get(429, 0) > 0
        and guard.while_guarded.get(200, 0) <= allowed
        and _says_guard(outcome.alarm_email, "engaged")
        and guard.restored == guard.normal
        and _says_guard(outcome.resolved_email, "released")
    )


def _says_guard(email: SentEmail | None, what: str) -> bool:
    return email is not None and any(GUARD_LINE in line and what in line for line in email.text.splitlines())


def _limits(limits: Limits | None) -> str:
    return "unchanged" if limits is None else f"{limits[0]:g} requests/s, burst {limits[1]}"


def format_request_spike(alarm_name: str, outcome: Outcome) -> str:
    guard = outcome.guard or GuardOutcome(normal=(0.0, 0))
    lines = [f"Drill request-spike: {alarm_name}", f"  stage throttle at start: {_limits(guard.normal)}"]
    lines.append(f"  burst until the guard engaged: responses {guard.before_guard}")
    if guard.guarded is None:
        lines.append("  alarm → guard did NOT engage")
    else:
        lines.append(f"  alarm FIRED → guard engaged: stage throttle {_limits(guard.guarded)}")
        lines.append(f"  {guard.guarded_seconds:.0f} s under the guard: responses {guard.while_guarded}")
    for email in (outcome.alarm_email, outcome.resolved_email):
        if email is not None:
            lines.append(f"  email: {email.subject}")
            lines += [f"    {line}" for line in email.text.splitlines() if GUARD_LINE in line]
    lines.append(f"  burst over → alarm OK → stage throttle {_limits(guard.restored)}")
    if guard.after_release:
        at_once = {status: guard.after_release.count(status) for status in sorted(set(guard.after_release))}
        lines.append(f"  {len(guard.after_release)} visits at once after the release: responses {at_once}")
    lines.append("drill passed" if passed(outcome) else "drill FAILED")
    return "\n".join(lines)
