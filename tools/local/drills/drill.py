"""`make drill`: a bounded burst of visits against a fresh local system, then a report per alarm.

It starts its own local system (ports from --port-base), sends visits at --rate per second for --seconds,
keeps evaluating until --settle seconds after the burst, and reports for each alarm whether it fired, when, and
the time from the first breaching request to the email in the outbox. Alarm periods can be scaled with
--period-scale; the report says when they were. `--scenario site-down` stops the local site server instead and
reports site-unavailable firing, its email, and its resolution once the site is back (site_down.py).
`--scenario request-spike` keeps a burst going until the throttle guard engages, shows the API answering 429
beyond the guard's rate, and reports the release once the burst is over (request_spike.py). The traffic and the
faults are the provocation library's (provocations.py), which the e2e alarm tests run too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools.local.cli import add_config_option, start_or_explain
from tools.local.drills import request_spike, site_down
from tools.local.drills.provocations import burst
from tools.local.scheduler import local_schedules
from tools.local.system import LocalSystem, Ports


@dataclass(frozen=True)
class AlarmReport:
    name: str
    fired_at: float | None
    email_at: float | None
    resolved_at: float | None


def run_drill(
    system: LocalSystem, rate: float, seconds: float, settle: float
) -> tuple[list[AlarmReport], dict[int, int]]:
    assert system.evaluator is not None
    first_request, statuses = burst(system.api_url, rate, seconds)
    deadline = time.time() + settle
    while time.time() < deadline:
        time.sleep(0.5)
    reports = []
    emails = system.outbox()
    for alarm in system.evaluator.alarms:
        fired = [at for at, old, new in alarm.history if new == "ALARM" and at >= first_request]
        resolved = [at for at, old, new in alarm.history if old == "ALARM" and new == "OK" and at >= first_request]
        email_at = None
        if fired:
            matching = [e.at for e in emails if "[ALARM]" in e.subject and alarm.name in e.subject and e.at >= fired[0]]
            email_at = min(matching) if matching else None
        reports.append(
            AlarmReport(alarm.name, fired[0] if fired else None, email_at, resolved[0] if resolved else None)
        )
    return reports, statuses


def format_report(
    reports: list[AlarmReport], statuses: dict[int, int], first_request: float, period_scale: float
) -> str:
    lines = [f"Drill: responses by status {dict(sorted(statuses.items()))}"]
    if period_scale != 1:
        lines.append(f"NOTE: alarm periods were scaled by {period_scale:g} (5 minutes → {300 * period_scale:g} s).")
    for report in reports:
        if report.fired_at is None:
            lines.append(f"  {report.name:55} did not fire")
            continue
        email = f"email after {report.email_at - first_request:5.1f} s" if report.email_at is not None else "NO EMAIL"
        resolved = f", resolved after {report.resolved_at - first_request:5.1f} s" if report.resolved_at else ""
        lines.append(f"  {report.name:55} FIRED after {report.fired_at - first_request:5.1f} s, {email}{resolved}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__)
    parser.add_argument("--rate", type=float, default=100, help="visits per second (default 100)")
    parser.add_argument("--seconds", type=float, default=35, help="burst length (default 35)")
    parser.add_argument("--settle", type=float, default=20, help="seconds to keep watching after the burst")
    parser.add_argument(
        "--period-scale", type=float, default=0.05, help="scale alarm periods (default 0.05: 5 minutes → 15 s)"
    )
    parser.add_argument(
        "--scenario",
        choices=("burst", "site-down", "request-spike"),
        default="burst",
        help="burst (default): visits at --rate; site-down: stop the local site until site-unavailable fires; "
        "request-spike: visits at --rate until the throttle guard engages, then its release",
    )
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
    if args.scenario == "site-down":
        return _site_down(system, args.settle)
    if args.scenario == "request-spike":
        return _request_spike(system, args.rate, args.settle)
    try:
        print(f"Sending {int(args.rate * args.seconds)} visits at {args.rate:g}/s to {system.api_url} ...", flush=True)
        first = time.time()
        reports, statuses = run_drill(system, args.rate, args.seconds, args.settle)
        print(format_report(reports, statuses, first, args.period_scale))
        print(_guard_summary(system))
        print(f"Outbox: {len(system.outbox())} emails")
    finally:
        system.stop()
    return 0


def _site_down(system: LocalSystem, settle_seconds: float) -> int:
    """Each wait (alarm, email, resolution) is bounded by the probe's two intervals plus --settle."""
    try:
        interval = max((s.interval_seconds or 0 for s in local_schedules(system.model)), default=0)
        timeout = 3 * interval * system.period_scale + settle_seconds
        print(f"Stopping the site at {system.site_origin}; waiting up to {timeout:.0f} s per step ...", flush=True)
        alarm_name, outcome = site_down.run_site_down(system, timeout)
        print(site_down.format_site_down(alarm_name, outcome))
    finally:
        system.stop()
    return 0 if site_down.passed(outcome) else 1


def _guard_summary(system: LocalSystem) -> str:
    """What the throttle guard did to the stage (its UpdateStage calls, stage_control.py), and where it is now."""
    assert system.stage_control is not None
    rate, burst_requests = system.api.throttle.limits()
    changes = " → ".join(f"{r:g}/s burst {b}" for r, b in system.stage_control.updates) or "none"
    return f"Throttle guard: stage throttle now {rate:g} requests/s, burst {burst_requests} (updates: {changes})"


def _request_spike(system: LocalSystem, rate: float, settle_seconds: float) -> int:
    """Each wait (engage, email, release) is bounded by four scaled alarm periods plus --settle."""
    try:
        timeout = 4 * 300 * system.period_scale + settle_seconds
        print(f"Sending visits at {rate:g}/s to {system.api_url} until the guard engages (up to {timeout:.0f} s) ...")
        alarm_name, outcome = request_spike.run_request_spike(system, rate, guarded_seconds=10, timeout_seconds=timeout)
        print(request_spike.format_request_spike(alarm_name, outcome))
    finally:
        system.stop()
    return 0 if request_spike.passed(outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
