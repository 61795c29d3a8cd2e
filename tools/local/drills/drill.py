"""`make drill`: a fault against a fresh local system of its own (ports from --port-base), then a report.

The default scenario, `burst`, sends visits at --rate per second for --seconds, keeps evaluating for --settle seconds
and reports for each alarm whether it fired, when, and the time from the first request to its email.
`site-down` and `request-spike` run those scenarios of the provocation library (provocations.py, which the e2e alarm
tests run too) and report their alarm's emails, its resolution and, for the spike, what the throttle guard did;
their exit status is 0 only when all of that happened. Alarm periods are scaled by --period-scale; the report says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from tools.local.cli import add_config_option, start_or_explain
from tools.local.drills import provocations
from tools.local.drills.provocations import Lab, Limits, Outcome, PacedSender
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem, Ports

GUARDED_SECONDS: Final = 10.0
SCENARIOS: Final[dict[str, tuple[Callable[[Lab, float], None], str, str, str]]] = {
    # name: (the scenario run at --rate, its alarm, what the fault and its removal are called in the report)
    "site-down": (lambda lab, _rate: provocations.site_down(lab), SITE_UNAVAILABLE_ALARM, "site stopped", "site back"),
    "request-spike": (
        lambda lab, rate: provocations.request_spike(lab, rate, GUARDED_SECONDS),
        API_REQUEST_SPIKE_ALARM,
        "spike",
        "spike over",
    ),
}
QUOTED_LINES: Final = ("Latest failed probe check", "Throttle guard")
"""The lines of an email the report quotes: what the notifier added to CloudWatch's message."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__)
    parser.add_argument("--rate", type=float, default=100, help="visits per second (default 100)")
    parser.add_argument("--seconds", type=float, default=35, help="burst length (default 35)")
    parser.add_argument("--settle", type=float, default=20, help="seconds to keep watching after the burst")
    parser.add_argument(
        "--period-scale", type=float, default=0.05, help="scale alarm periods (default 0.05: 5 minutes → 15 s)"
    )
    parser.add_argument("--scenario", choices=("burst", *SCENARIOS), default="burst")
    parser.add_argument("--port-base", type=int, default=24566)
    add_config_option(parser)
    args = parser.parse_args(argv)
    system = LocalSystem(
        Ports.from_base(args.port_base),
        Path(tempfile.mkdtemp(prefix="drill-")),
        period_scale=args.period_scale,
        config_overrides=dict(args.config),
    )
    started = start_or_explain(system)
    if isinstance(started, int):
        return started
    try:
        if args.scenario == "burst":
            return _burst(system, args.rate, args.seconds, args.settle)
        return _scenario(system, args.scenario, args.rate, args.settle)
    finally:
        system.stop()


def _burst(system: LocalSystem, rate: float, seconds: float, settle: float) -> int:
    print(f"Sending {int(rate * seconds)} visits at {rate:g}/s to {system.api_url} ...", flush=True)
    first_request = time.time()
    sender = PacedSender(system.api_url, rate).start()
    time.sleep(seconds)
    sender.stop()
    time.sleep(settle)
    print(f"Drill: responses by status {sender.statuses()}")
    if system.period_scale != 1:
        scale = system.period_scale
        print(f"NOTE: alarm periods were scaled by {scale:g} (5 minutes → {300 * scale:g} s).")
    emails = system.outbox()
    for alarm in system.evaluator.alarms:
        fired = [at for at, _old, new in alarm.history if new == "ALARM" and at >= first_request]
        if not fired:
            print(f"  {alarm.name:55} did not fire")
            continue
        resolved = [at for at, old, new in alarm.history if (old, new) == ("ALARM", "OK") and at >= fired[0]]
        start = provocations.notifier_subject_start(alarm, "[ALARM]")
        email = min((e.at for e in emails if e.subject.startswith(start) and e.at >= fired[0]), default=None)
        line = f"  {alarm.name:55} FIRED after {fired[0] - first_request:5.1f} s, "
        line += f"email after {email - first_request:5.1f} s" if email is not None else "NO EMAIL"
        print(line + (f", resolved after {resolved[0] - first_request:5.1f} s" if resolved else ""))
    assert system.stage_control is not None
    changes = " → ".join(_limits(update) for update in system.stage_control.updates) or "none"
    print(f"Throttle guard: stage throttle now {_limits(system.api.throttle.limits())} (updates: {changes})")
    print(f"Outbox: {len(emails)} emails")
    return 0


def _scenario(system: LocalSystem, name: str, rate: float, settle: float) -> int:
    """Each wait (fired, emailed, resolved) is bounded by four of the alarm's scaled periods plus --settle."""
    run, alarm_id, fault, undone = SCENARIOS[name]
    lab = Lab(system)
    lab.step_timeout_seconds = 4 * lab.alarm(alarm_id).metric.period_seconds * system.period_scale + settle
    print(f"Drill {name}: {lab.alarm_name(alarm_id)} (each step waits up to {lab.step_timeout_seconds:.0f} s)")
    run(lab, rate)
    outcome = lab.outcomes[alarm_id]
    print("\n".join(report_lines(outcome, fault, undone)))
    return 0 if passed(outcome) else 1


def report_lines(outcome: Outcome, fault: str, undone: str) -> list[str]:
    guard = outcome.guard
    lines = []
    if guard is not None:
        lines.append(f"  stage throttle at start: {_limits(guard.normal)}; responses {guard.before_guard}")
    lines.append(f"  {fault} → alarm {'FIRED' if outcome.fired else 'did NOT fire'}")
    if guard is not None and guard.guarded is not None:
        seconds = f"{guard.guarded_seconds:.0f} s"
        lines.append(f"  guard engaged: {_limits(guard.guarded)}; {seconds} under it: responses {guard.while_guarded}")
    lines += _quoted(outcome.alarm_email)
    lines.append(f"  {undone} → alarm {'RESOLVED' if outcome.resolved else 'did NOT resolve'}")
    lines += _quoted(outcome.resolved_email)
    if guard is not None:
        at_once = {status: guard.after_release.count(status) for status in sorted(set(guard.after_release))}
        lines.append(f"  stage throttle after: {_limits(guard.restored)}; then visits at once: responses {at_once}")
    lines.append("drill passed" if passed(outcome) else "drill FAILED")
    return lines


def passed(outcome: Outcome) -> bool:
    """Fired, resolved, both emails; and for a spike the guard engaged (429s), said so, and released."""
    notified = outcome.fired and outcome.resolved and None not in (outcome.alarm_email, outcome.resolved_email)
    guard = outcome.guard
    if guard is None:
        return notified
    return (
        notified
        and guard.guarded is not None
        and guard.while_guarded.get(429, 0) > 0
        and guard.restored == guard.normal
        and any("Throttle guard: engaged" in line for line in _quoted(outcome.alarm_email))
        and any("Throttle guard: released" in line for line in _quoted(outcome.resolved_email))
    )


def _quoted(email: SentEmail | None) -> list[str]:
    if email is None:
        return []
    return [f"  email: {email.subject}"] + [
        f"    {line}" for line in email.text.splitlines() if any(quoted in line for quoted in QUOTED_LINES)
    ]


def _limits(limits: Limits | None) -> str:
    return "unchanged" if limits is None else f"{limits[0]:g} requests/s, burst {limits[1]}"


if __name__ == "__main__":
    sys.exit(main())
