"""`make drill`: a fault against a fresh local system of its own (ports from --port-base), then a report.

The default scenario, `request-spike`, sends visits at --rate per second until the throttle guard engages, holds
them under it, then waits for the release; `site-down` stops the local site until the probe's alarm fires, then starts
it again (provocations.py); `readers` sends readers from a few sources, one through an application link, and a
download (readers.py). Each exits 0 only when the owner would see what it provoked; its report ends with the timeline
of what the drill saw (each firing and release, each throttle-guard change, each notification), when each alarm fired
and emailed (and which did not fire), and writes the outbox to build/drill-outbox.html. Alarm periods are scaled by
--period-scale; the report says so.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Final

from functions.common.catalog import SLACK_CHANNEL, WEBHOOK_CHANNEL
from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from tools.local.cli import add_config_option, start_or_explain
from tools.local.console import outbox_values, render_page
from tools.local.drills import readers
from tools.local.drills.provocations import Lab, Limits, Outcome, request_spike, site_down
from tools.local.system import LocalSystem, Ports

GUARDED_SECONDS: Final = 10.0
OUTBOX_FILE: Final = Path("build") / "drill-outbox.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__)
    parser.add_argument("--rate", type=float, default=100, help="visits per second (default 100)")
    parser.add_argument("--settle", type=float, default=20, help="seconds each step may wait beyond 4 periods")
    parser.add_argument(
        "--period-scale", type=float, default=0.05, help="scale alarm periods (default 0.05: 5 minutes → 15 s)"
    )
    parser.add_argument("--scenario", choices=("request-spike", "site-down", "readers"), default="request-spike")
    parser.add_argument("--port-base", type=int, default=24566)
    add_config_option(parser)
    args = parser.parse_args(argv)
    state_dir = Path(tempfile.mkdtemp(prefix="drill-"))
    system = LocalSystem(
        Ports.from_base(args.port_base),
        state_dir,
        period_scale=args.period_scale,
        config_overrides=dict(args.config),
    )
    started = start_or_explain(system)
    if isinstance(started, int):
        return started
    began, normal = time.time(), system.api.throttle.limits()
    try:
        if args.scenario == "readers":
            verdict = _readers(system)
        elif args.scenario == "site-down":
            verdict = _site_down(system, args.settle)
        else:
            verdict = _request_spike(system, args.rate, args.settle)
        if system.period_scale != 1:
            scale = system.period_scale
            print(f"NOTE: alarm periods were scaled by {scale:g} (5 minutes → {300 * scale:g} s).")
        print(f"Timeline (seconds from the start of the {args.scenario}):")
        print("\n".join(timeline(system, began, normal)))
        print("\n".join(alarm_lines(system, began)))
        written = write_outbox(system, OUTBOX_FILE, f"Drill outbox: {args.scenario}")
    finally:
        system.stop()
        shutil.rmtree(state_dir, ignore_errors=True)  # the outbox file stays
    print(f"Outbox: {written}: {OUTBOX_FILE.resolve()}")
    print("drill passed" if verdict else "drill FAILED")
    return 0 if verdict else 1


def _readers(system: LocalSystem) -> bool:
    print(f"Drill readers: readers from {len(readers.READERS)} sources, an application link, a download")
    outcome = readers.readers(system)
    print("\n".join(readers.report_lines(outcome)))
    return readers.passed(outcome)


def _lab(system: LocalSystem, scenario: str, alarm_id: str, settle: float) -> Lab:
    """Each wait (fired, emailed, resolved) is bounded by four of the alarm's scaled periods plus --settle."""
    lab = Lab(system)
    period = lab.alarm(alarm_id).metric.period_seconds * system.period_scale
    lab.step_timeout_seconds = 4 * period + settle
    name = lab.alarm_name(alarm_id)
    print(f"Drill {scenario}: {name} (each step waits up to {lab.step_timeout_seconds:.0f} s)")
    return lab


def _site_down(system: LocalSystem, settle: float) -> bool:
    """Fired and resolved, and both emails arrived (the timeline shows them)."""
    lab = _lab(system, "site-down", SITE_UNAVAILABLE_ALARM, settle)
    site_down(lab)
    outcome = lab.outcomes[SITE_UNAVAILABLE_ALARM]
    return outcome.fired and outcome.resolved and None not in (outcome.alarm_email, outcome.resolved_email)


def _request_spike(system: LocalSystem, rate: float, settle: float) -> bool:
    lab = _lab(system, "request-spike", API_REQUEST_SPIKE_ALARM, settle)
    request_spike(lab, rate, GUARDED_SECONDS)
    outcome = lab.outcomes[API_REQUEST_SPIKE_ALARM]
    print("\n".join(report_lines(outcome)))
    return passed(outcome)


def timeline(system: LocalSystem, began: float, normal: Limits) -> list[str]:
    """Every alarm firing and release, throttle-guard change and notification since `began`, in order."""
    events = [
        (at, f"{alarm.name} {'FIRED' if new == 'ALARM' else 'released'} ({old} → {new})")
        for alarm in system.evaluator.alarms
        for at, old, new in alarm.history
        if "ALARM" in (old, new)
    ]
    assert system.stage_control is not None
    for at, limits in zip(system.stage_control.updated_at, system.stage_control.updates, strict=True):
        change = "released: stage throttle restored to" if limits == normal else "engaged: stage throttle lowered to"
        events.append((at, f"throttle guard {change} {_limits(limits)}"))
    events += [(sent.at, f"email ({sent.channel}): {sent.subject}") for sent in system.outbox()]
    for channel in (SLACK_CHANNEL, WEBHOOK_CHANNEL):
        events += [(message.at, f"{channel}: {message.title}") for message in system.channel_messages(channel)]
    return [f"  {at - began:+7.1f} s  {what}" for at, what in sorted(events) if at >= began] or ["  (nothing)"]


def alarm_lines(system: LocalSystem, began: float) -> list[str]:
    """Per alarm that fired since `began`: when, and when its first email reached the outbox; then those that did
    not fire."""
    lab = Lab(system)
    lines: list[str] = []
    quiet: list[str] = []
    for alarm in system.evaluator.alarms:
        fired = [at for at, _old, new in alarm.history if new == "ALARM" and at >= began]
        if not fired:
            quiet.append(alarm.name)
            continue
        email = lab.email(alarm, "ALARM")
        emailed = f"its email at {email.at - began:+.1f} s" if email is not None else "NO email"
        lines.append(f"Fired: {alarm.name} at {fired[0] - began:+.1f} s, {emailed}")
    return [*lines, f"Did not fire: {', '.join(quiet) or 'none'}"]


def write_outbox(system: LocalSystem, path: Path, title: str) -> str:
    """The system's outbox as the console's outbox page, in a file that outlives the system; says what it holds."""
    channels = (SLACK_CHANNEL, WEBHOOK_CHANNEL)
    chat = {channel: [asdict(message) for message in system.channel_messages(channel)] for channel in channels}
    values = outbox_values(system.outbox(), chat)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page("outbox", title, refresh=False, **values))
    counts = [f"{len(values['emails'])} emails"] + [f"{len(chat[channel])} {channel}" for channel in chat]
    return ", ".join(counts)


def report_lines(outcome: Outcome) -> list[str]:
    """What the API answered before, under and after the guard (the timeline has the alarm and its notifications)."""
    guard = outcome.guard
    assert guard is not None, "the request spike records what the guard did"
    at_once = {status: guard.after_release.count(status) for status in sorted(set(guard.after_release))}
    under = f"under the guard ({guard.guarded_seconds:.0f} s): {_limits(guard.guarded)}"
    return [
        f"  before the guard: {_limits(guard.normal)}; responses {guard.before_guard}",
        f"  {under}; responses {guard.while_guarded}",
        f"  after its release: {_limits(guard.restored)}; visits at once: responses {at_once}",
    ]


def passed(outcome: Outcome) -> bool:
    """Fired and resolved, the guard engaged (429s) and released, and both emails said so."""
    guard, fired, resolved = outcome.guard, outcome.alarm_email, outcome.resolved_email
    return (
        outcome.fired
        and outcome.resolved
        and guard is not None
        and guard.guarded is not None
        and guard.while_guarded.get(429, 0) > 0
        and guard.restored == guard.normal
        and fired is not None
        and "Throttle guard: engaged" in fired.text
        and resolved is not None
        and "Throttle guard: released" in resolved.text
    )


def _limits(limits: Limits | None) -> str:
    return "none seen" if limits is None else f"{limits[0]:g} requests/s, burst {limits[1]}"


if __name__ == "__main__":
    sys.exit(main())
