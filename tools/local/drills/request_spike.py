"""`make drill SCENARIO=request-spike`: a sustained burst fires api-request-spike; the notifier's throttle guard
lowers the stage throttle (its real UpdateStage call, answered by tools/local/apigateway/stage_control.py) and the
API then answers 429 beyond the guard's rate; the email says the guard engaged. The burst stops, the alarm goes OK, the
guard restores the configured throttle, and the resolved email says so. Every wait is bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from functions.common import catalog
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem

POLL_SECONDS = 0.2
GUARD_LINE = "Throttle guard"


@dataclass
class PacedSender:
    """POST /visits at `rate` per second from a few threads until stopped; records (sent at, status)."""

    url: str
    rate: float
    results: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, threads: int = 8) -> PacedSender:
        started = time.monotonic()
        for worker in range(threads):
            thread = threading.Thread(target=self._run, args=(started, worker, threads), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> dict[int, int]:
        counts: dict[int, int] = {}
        for at, status in list(self.results):
            if since <= at < until:
                counts[status] = counts.get(status, 0) + 1
        return dict(sorted(counts.items()))

    def _run(self, started: float, worker: int, threads: int) -> None:
        index = worker
        while not self._stop.is_set():
            delay = started + index / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                status = requests.post(self.url + catalog.VISITS_PATH, timeout=10).status_code
            except requests.RequestException:
                status = 0
            self.results.append((time.monotonic(), status))
            index += threads


@dataclass(frozen=True)
class SpikeReport:
    alarm_name: str
    normal: tuple[float, int]
    guarded: tuple[float, int] | None
    """The throttle while the guard was engaged (None: it never engaged)."""
    before_guard: dict[int, int]
    while_guarded: dict[int, int]
    guarded_seconds: float
    alarm_email: SentEmail | None
    restored: tuple[float, int] | None
    resolved_email: SentEmail | None

    @property
    def passed(self) -> bool:
        admitted = self.while_guarded.get(200, 0)
        allowed = None if self.guarded is None else self.guarded[0] * self.guarded_seconds + self.guarded[1] + 2
        return (
            allowed is not None
            and self.while_guarded.get(429, 0) > 0
            and admitted <= allowed
            and _says_guard(self.alarm_email, "engaged")
            and self.restored == self.normal
            and _says_guard(self.resolved_email, "released")
        )


def _says_guard(email: SentEmail | None, what: str) -> bool:
    return email is not None and any(GUARD_LINE in line and what in line for line in email.text.splitlines())


def _wait(condition: Callable[[], object], timeout_seconds: float) -> object:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(POLL_SECONDS)
    return None


def run_request_spike(system: LocalSystem, rate: float, guarded_seconds: float, timeout_seconds: float) -> SpikeReport:
    """Sends at `rate` until the guard engages, `guarded_seconds` more under it, then waits for the release."""
    (alarm,) = [a for a in system.evaluator.alarms if a.name.endswith(f"-{catalog.API_REQUEST_SPIKE_ALARM}")]
    throttle = system.api.throttle
    normal = throttle.limits()

    def email(tag: str, after: int) -> SentEmail | None:
        found = [e for e in system.outbox() if e.sequence > after and tag in e.subject and alarm.name in e.subject]
        return found[0] if found else None

    before = max((e.sequence for e in system.outbox()), default=0)
    sender = PacedSender(system.api_url, rate).start()
    try:
        engaged = _wait(lambda: throttle.limits() != normal, timeout_seconds) is not None
        engaged_at = time.monotonic()
        guarded = throttle.limits() if engaged else None
        time.sleep(guarded_seconds if engaged else 0)
        window_end = time.monotonic()
    finally:
        sender.stop()
    alarm_email = _wait(lambda: email("[ALARM]", before), timeout_seconds)
    restored = _wait(lambda: alarm.state == "OK" and throttle.limits() == normal and throttle.limits(), timeout_seconds)
    after = alarm_email.sequence if isinstance(alarm_email, SentEmail) else before
    resolved_email = _wait(lambda: email("[RESOLVED]", after), timeout_seconds)
    return SpikeReport(
        alarm_name=alarm.name,
        normal=normal,
        guarded=guarded,
        before_guard=sender.statuses(until=engaged_at),
        while_guarded=sender.statuses(since=engaged_at + 1, until=window_end),
        guarded_seconds=window_end - engaged_at - 1,
        alarm_email=alarm_email if isinstance(alarm_email, SentEmail) else None,
        restored=restored if isinstance(restored, tuple) else None,
        resolved_email=resolved_email if isinstance(resolved_email, SentEmail) else None,
    )


def _limits(limits: tuple[float, int] | None) -> str:
    return "unchanged" if limits is None else f"{limits[0]:g} requests/s, burst {limits[1]}"


def format_request_spike(report: SpikeReport) -> str:
    lines = [f"Drill request-spike: {report.alarm_name}", f"  stage throttle at start: {_limits(report.normal)}"]
    lines.append(f"  burst until the guard engaged: responses {report.before_guard}")
    if report.guarded is None:
        lines.append("  alarm → guard did NOT engage")
    else:
        lines.append(f"  alarm FIRED → guard engaged: stage throttle {_limits(report.guarded)}")
        lines.append(f"  {report.guarded_seconds:.0f} s under the guard: responses {report.while_guarded}")
    for email in (report.alarm_email, report.resolved_email):
        if email is not None:
            lines.append(f"  email: {email.subject}")
            lines += [f"    {line}" for line in email.text.splitlines() if GUARD_LINE in line]
    lines.append(f"  burst over → alarm OK → stage throttle {_limits(report.restored)}")
    lines.append("drill passed" if report.passed else "drill FAILED")
    return "\n".join(lines)
