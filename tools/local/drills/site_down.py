"""`make drill SCENARIO=site-down`: the site-down scenario of the provocation library (provocations.py) on a fresh
local system — the site server stops, the availability probe fails twice in a row, site-unavailable fires and its
email arrives; the site comes back, the next probe passes and the alarm resolves (another email). Every wait is
bounded; the report says what happened in which order."""

from __future__ import annotations

from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from tools.local.drills import provocations
from tools.local.drills.provocations import Lab, Outcome
from tools.local.system import LocalSystem


def run_site_down(system: LocalSystem, timeout_seconds: float) -> tuple[str, Outcome]:
    """The alarm's name and what happened to it; each wait bounded by `timeout_seconds`."""
    lab = Lab(system, step_timeout_seconds=timeout_seconds)
    provocations.site_down(lab)
    return lab.alarm_name(SITE_UNAVAILABLE_ALARM), lab.outcomes[SITE_UNAVAILABLE_ALARM]


def passed(outcome: Outcome) -> bool:
    return outcome.fired and outcome.resolved and outcome.alarm_email is not None and outcome.resolved_email is not None


def format_site_down(alarm_name: str, outcome: Outcome) -> str:
    lines = [f"Drill site-down: {alarm_name}"]
    lines.append(f"  site stopped → alarm {'FIRED' if outcome.fired else 'did NOT fire'}")
    if outcome.alarm_email is not None:
        lines.append(f"  email: {outcome.alarm_email.subject}")
        lines += [f"    {line}" for line in outcome.alarm_email.text.splitlines() if "probe check" in line]
    lines.append(f"  site back → alarm {'RESOLVED' if outcome.resolved else 'did NOT resolve'}")
    if outcome.resolved_email is not None:
        lines.append(f"  email: {outcome.resolved_email.subject}")
    lines.append("drill passed" if passed(outcome) else "drill FAILED")
    return "\n".join(lines)
