"""`make drill --scenario site-down`: the site server stops, the availability probe fails twice in a row, the
site-unavailable alarm fires and its email arrives; the site comes back, the next probe passes and the alarm
resolves (another email). Every wait is bounded; the report says what happened in which order."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from functions.common import catalog
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class SiteDownReport:
    alarm_name: str
    fired: bool
    alarm_email: SentEmail | None
    resolved: bool
    resolved_email: SentEmail | None

    @property
    def passed(self) -> bool:
        return self.fired and self.resolved and self.alarm_email is not None and self.resolved_email is not None


def _wait(condition: Callable[[], object], timeout_seconds: float) -> object:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(POLL_SECONDS)
    return None


def run_site_down(system: LocalSystem, timeout_seconds: float) -> SiteDownReport:
    """Stops the site, waits for the alarm and its email, restarts the site, waits for OK and its email."""
    (alarm,) = [a for a in system.evaluator.alarms if a.name.endswith(f"-{catalog.SITE_UNAVAILABLE_ALARM}")]
    alarm_name = alarm.name

    def email(tag: str, after: int) -> SentEmail | None:
        found = [e for e in system.outbox() if e.sequence > after and tag in e.subject and alarm_name in e.subject]
        return found[0] if found else None

    before = max((e.sequence for e in system.outbox()), default=0)
    system.stop_site()
    fired = _wait(lambda: alarm.state == "ALARM", timeout_seconds) is not None
    alarm_email = _wait(lambda: email("[ALARM]", before), timeout_seconds) if fired else None
    system.start_site()
    resolved = _wait(lambda: alarm.state == "OK", timeout_seconds) is not None
    after = alarm_email.sequence if isinstance(alarm_email, SentEmail) else before
    resolved_email = _wait(lambda: email("[RESOLVED]", after), timeout_seconds) if resolved else None
    return SiteDownReport(
        alarm_name,
        fired,
        alarm_email if isinstance(alarm_email, SentEmail) else None,
        resolved,
        resolved_email if isinstance(resolved_email, SentEmail) else None,
    )


def format_site_down(report: SiteDownReport) -> str:
    lines = [f"Drill site-down: {report.alarm_name}"]
    lines.append(f"  site stopped → alarm {'FIRED' if report.fired else 'did NOT fire'}")
    if report.alarm_email is not None:
        lines.append(f"  email: {report.alarm_email.subject}")
        lines += [f"    {line}" for line in report.alarm_email.text.splitlines() if "probe check" in line]
    lines.append(f"  site back → alarm {'RESOLVED' if report.resolved else 'did NOT resolve'}")
    if report.resolved_email is not None:
        lines.append(f"  email: {report.resolved_email.subject}")
    lines.append("drill passed" if report.passed else "drill FAILED")
    return "\n".join(lines)
