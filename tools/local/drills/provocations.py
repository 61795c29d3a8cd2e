"""The faults `make drill` runs (a request spike, the site down), on a `Lab`: one local system whose alarm is waited
quiet, provoked by its real fault (never by writing a metric) and watched until it fires and resolves, with what
happened (`Outcome`). tests/support/alarm_scenarios.py runs every other alarm's fault on the same `Lab`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import requests

from functions.common import catalog
from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from tools.local.cloudwatch.alarms import AlarmDefinition
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem

T = TypeVar("T")
STEP_TIMEOUT_SECONDS = 40.0
GUARDED_SECONDS = 6.0
"""How long a request spike goes on under the throttle guard before it stops."""
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


# -- traffic -------------------------------------------------------------------------------------------------------
def visit(api_url: str, user_agent: str = FIREFOX) -> int:
    """One POST /visits; its status, 0 when nothing answered."""
    try:
        return requests.post(api_url + catalog.VISITS_PATH, headers={"user-agent": user_agent}, timeout=10).status_code
    except requests.RequestException:
        return 0


def visits_at_once(api_url: str, count: int) -> list[int]:
    """`count` visits sent together (distinct visitors), their statuses."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: visit(api_url, f"{FIREFOX} burst/{i}"), range(count)))


@dataclass
class PacedSender:
    """POST /visits at `rate` per second from a few threads until stopped; records (sent at, status)."""

    url: str
    rate: float
    results: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, threads: int = 16) -> PacedSender:
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
            self.results.append((time.monotonic(), visit(self.url)))
            index += threads


# -- what a scenario observed --------------------------------------------------------------------------------------
Limits = tuple[float, int]


@dataclass
class GuardOutcome:
    """What the throttle guard did to the stage during a request spike."""

    normal: Limits
    guarded: Limits | None = None
    """The throttle while the guard was engaged (None: it never engaged)."""
    restored: Limits | None = None
    before_guard: dict[int, int] = field(default_factory=dict)
    while_guarded: dict[int, int] = field(default_factory=dict)
    guarded_seconds: float = 0.0
    after_release: list[int] = field(default_factory=list)
    """Statuses of a burst larger than the guard's, sent at once after the release."""


@dataclass
class Outcome:
    """What happened to one alarm in its scenario."""

    fired: bool = False
    resolved: bool = False
    alarm_email: SentEmail | None = None
    resolved_email: SentEmail | None = None
    guard: GuardOutcome | None = None


@dataclass
class Lab:
    """One local system and what its scenarios observed (`outcomes` may outlive the system)."""

    system: LocalSystem
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    step_timeout_seconds: float = STEP_TIMEOUT_SECONDS
    _mark: int = 0

    def alarm(self, alarm_id: str) -> AlarmDefinition:
        (alarm,) = [a for a in self.system.evaluator.alarms if a.name == self.alarm_name(alarm_id)]
        return alarm

    def alarm_name(self, alarm_id: str) -> str:
        notifier = self.system.model.function(catalog.NOTIFIER_HANDLER)
        return catalog.alarm_name(notifier.environment[catalog.STACK_NAME_ENV], alarm_id)

    def begin(self, alarm_ids: Iterable[str]) -> None:
        """Waits until the alarms are quiet; what follows (visits, emails) belongs to this scenario."""
        ids = list(alarm_ids)
        self.wait_for(lambda: all(self.alarm(i).state != "ALARM" for i in ids), "the alarms quiet before the fault")
        self._mark = max((e.sequence for e in self.system.outbox()), default=0)

    def settle(self, alarm_ids: Iterable[str], *, resolves: bool = True) -> None:
        """After the fault is removed: each alarm's emails (and its resolution, where it resolves)."""
        for alarm_id in alarm_ids:
            self._settle(alarm_id, resolves=resolves)

    def _settle(self, alarm_id: str, *, resolves: bool) -> None:
        outcome = self.outcomes[alarm_id]
        alarm = self.alarm(alarm_id)
        outcome.alarm_email = self.wait(lambda: self.email(alarm, "ALARM", self._mark))
        if resolves:
            outcome.resolved = self.wait(lambda: alarm.state == "OK") is not None
            after = outcome.alarm_email.sequence if outcome.alarm_email else self._mark
            outcome.resolved_email = self.wait(lambda: self.email(alarm, "OK", after))

    def wait(self, condition: Callable[[], T | bool | None]) -> T | None:
        """The condition's first truthy answer within the step's time, else None."""
        deadline = time.monotonic() + self.step_timeout_seconds
        while time.monotonic() < deadline:
            if found := condition():
                return found  # type: ignore[return-value]  # True stands for itself
            time.sleep(0.1)
        return None

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        if self.wait(condition) is None:
            raise AssertionError(f"timed out after {self.step_timeout_seconds:g} s waiting for {what}")

    def email(self, alarm: AlarmDefinition, state: str, after: int = 0) -> SentEmail | None:
        """The notifier's `[ALARM] <title>: …` / `[RESOLVED] <title>: …` (the title from the alarm's description:
        catalog.alarm_description), or SNS's plain `ALARM: "name" in …` / `OK: …`."""
        title, _unit = catalog.alarm_title_and_unit(alarm.declared.description) or (alarm.name, "")
        notifier_tag, plain_tag = {"ALARM": ("[ALARM]", "ALARM: "), "OK": ("[RESOLVED]", "OK: ")}[state]
        for sent in self.system.outbox():
            if sent.sequence > after and (
                sent.subject.startswith(f"{notifier_tag} {title}: ")
                or (sent.subject.startswith(plain_tag) and alarm.name in sent.subject)
            ):
                return sent
        return None


# -- the request spike ---------------------------------------------------------------------------------------------
def request_spike(lab: Lab, rate_per_second: float | None = None, guarded_seconds: float = GUARDED_SECONDS) -> None:
    """A sustained spike of visits (twice the usage threshold per scaled period, or `rate_per_second`) until the
    throttle guard engages, then `guarded_seconds` more under it."""
    ids = [API_REQUEST_SPIKE_ALARM]
    alarm, throttle = lab.alarm(API_REQUEST_SPIKE_ALARM), lab.system.api.throttle
    period = alarm.metric.period_seconds * lab.system.period_scale
    guard = GuardOutcome(normal=throttle.limits())
    lab.begin(ids)
    sender = PacedSender(lab.system.api_url, rate_per_second or 2 * alarm.declared.threshold / period).start()
    try:
        engaged = lab.wait(lambda: throttle.limits() != guard.normal) is not None
        engaged_at = time.monotonic()
        guard.guarded = throttle.limits() if engaged else None
        time.sleep(guarded_seconds if engaged else 0)
        window_end = time.monotonic()
        fired = alarm.state == "ALARM"
    finally:
        sender.stop()
    # The first second under the guard still holds requests sent before it engaged.
    guard.before_guard = sender.statuses(until=engaged_at)
    guard.while_guarded = sender.statuses(since=engaged_at + 1, until=window_end)
    guard.guarded_seconds = window_end - engaged_at - 1
    lab.outcomes[API_REQUEST_SPIKE_ALARM] = Outcome(fired=fired, guard=guard)
    lab.settle(ids)
    restored = lab.wait(lambda: alarm.state == "OK" and throttle.limits() == guard.normal and throttle.limits())
    guard.restored = restored if isinstance(restored, tuple) else None
    if guard.restored is not None and guard.guarded is not None:
        # after the time the bucket takes to refill to its configured burst
        time.sleep(guard.normal[1] / guard.normal[0])
        guard.after_release = visits_at_once(lab.system.api_url, guard.guarded[1] + 10)


# -- the site down -------------------------------------------------------------------------------------------------
def site_down(lab: Lab) -> None:
    """The local site server stops: the probe (every probe interval, scaled) fails twice in a row; back, the next probe
    passes."""
    alarm = lab.alarm(SITE_UNAVAILABLE_ALARM)
    lab.begin([SITE_UNAVAILABLE_ALARM])
    lab.system.site_server.stop_accepting()  # the site alone: the probe finds nothing listening
    try:
        fired = lab.wait(lambda: alarm.state == "ALARM") is not None
    finally:
        lab.system.start_site()
    lab.outcomes[SITE_UNAVAILABLE_ALARM] = Outcome(fired=fired)
    lab.settle([SITE_UNAVAILABLE_ALARM])
