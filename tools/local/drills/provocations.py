"""How each alarm of the template is made to fire on the local system by its real fault (never by writing a
metric), for `make drill` and tests/e2e/test_every_alarm_fires.py: one scenario per alarm in `SCENARIOS`, run on a
`Lab` that waits for quiet, provokes the fault until ALARM, removes it and records what happened (`Outcome`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import requests

from functions.common import catalog
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM, API_REQUEST_SPIKE_ALARM
from infra.monitoring.notifier import ALARM_TOPIC_DELIVERY_ALARM, NOTIFIER_DLQ_ALARM, NOTIFIER_ERRORS_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from stack_model.messaging import Subscription
from stack_model.stack import StackModel
from tools.local.cloudwatch.alarms import AlarmDefinition
from tools.local.iam import user_name
from tools.local.ses import SentEmail
from tools.local.sns import queued_messages
from tools.local.system import LocalSystem

T = TypeVar("T")
PERIOD_SCALE = 0.01
_SES_REFUSES = "drill-ses-refuses"
"""The e2e scenarios' scale: 5-minute periods become 3 s; alarms on 2 of 3 periods fire after 3-6 s of a fault."""
STEP_TIMEOUT_SECONDS = 40.0
GUARDED_SECONDS = 6.0
"""How long a request spike goes on under the throttle guard before it stops."""
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
_RAISED_STAGE_THROTTLE = {"api_throttle_rate_per_second": "1000", "api_throttle_burst_requests": "1000"}

SYSTEM_CONFIGS: dict[str, dict[str, str]] = {
    # Visitors' faults: DynamoDB unreachable, the site down.
    "visitors": _RAISED_STAGE_THROTTLE | {"probe_interval_minutes": "5"},
    # A request spike on a system of its own (no other scenario's traffic trips it), at a threshold of 10 requests/s
    # in 3-second periods: the spike's 20/s stays within what the local system serves on a busy machine.
    "spike": _RAISED_STAGE_THROTTLE
    | {"alarm_thresholds.api_requests_per_5_minutes": "30", "probe_interval_minutes": "5"},
    # Every request breaches a 1 ms p99, and the alarm keeps its state without requests: a system of its own.
    "latency": _RAISED_STAGE_THROTTLE | {"alarm_thresholds.api_p99_latency_ms": "1"},
    # The counter's reservation of 1 (throttles, the trigger of the alerting-path scenarios) and the notifier
    # broken or gone; the throttled requests' 500s stay below a raised 5xx threshold.
    "alerting": _RAISED_STAGE_THROTTLE
    | {"counter_reserved_concurrency": "1", "alarm_thresholds.api_5xx_per_5_minutes": "1000"},
}
"""Config overrides of the local system each scenario runs on (`Scenario.system`)."""


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
    updates: list[Limits] = field(default_factory=list)
    """The notifier's UpdateStage calls, in order, since the system started."""
    after_release: list[int] = field(default_factory=list)
    """Statuses of a burst larger than the guard's, sent at once after the release."""


@dataclass
class Outcome:
    """What happened to one alarm in its scenario."""

    fired: bool = False
    resolved: bool = False
    alarm_email: SentEmail | None = None
    resolved_email: SentEmail | None = None
    statuses: list[int] = field(default_factory=list)
    """What the local API answered the scenario's visits during the fault (0: no answer)."""
    answered_after: int | None = None
    """What it answered a visit once the fault was undone (where the scenario sends one)."""
    parked: int | None = None
    """Messages waiting in the dead-letter queue after the scenario (where it parks one)."""
    guard: GuardOutcome | None = None
    seconds: float = 0.0


@dataclass
class Lab:
    """One local system and what its scenarios observed (`outcomes` may outlive the system)."""

    system: LocalSystem
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    """The scenarios run on it."""
    step_timeout_seconds: float = STEP_TIMEOUT_SECONDS
    _started: float = 0.0
    _mark: int = 0
    _statuses: list[int] = field(default_factory=list)

    def alarm(self, alarm_id: str) -> AlarmDefinition:
        (alarm,) = [a for a in self.system.evaluator.alarms if a.name == self.alarm_name(alarm_id)]
        return alarm

    def alarm_name(self, alarm_id: str) -> str:
        notifier = self.system.model.function(catalog.NOTIFIER_HANDLER)
        return catalog.alarm_name(notifier.environment[catalog.STACK_NAME_ENV], alarm_id)

    def visit(self, user_agent: str = FIREFOX) -> int:
        status = visit(self.system.api_url, user_agent)
        self._statuses.append(status)
        return status

    def visits_at_once(self, count: int) -> None:
        self._statuses.extend(visits_at_once(self.system.api_url, count))

    def begin(self, alarm_ids: Iterable[str]) -> None:
        """Waits until the alarms are quiet; what follows (visits, emails) belongs to this scenario."""
        ids = list(alarm_ids)
        self.wait_for(lambda: all(self.alarm(i).state != "ALARM" for i in ids), "the alarms quiet before the fault")
        self._started = time.monotonic()
        self._statuses = []
        self._mark = max((e.sequence for e in self.system.outbox()), default=0)

    def provoke(self, alarm_ids: Iterable[str], fault: Callable[[], object], pace_seconds: float) -> None:
        """After `begin`, repeats `fault` until all the alarms are in ALARM (or the step's time is up)."""
        ids = list(alarm_ids)
        deadline = time.monotonic() + self.step_timeout_seconds
        while time.monotonic() < deadline and not all(self.alarm(i).state == "ALARM" for i in ids):
            fault()
            time.sleep(pace_seconds)
        for alarm_id in ids:
            fired = self.alarm(alarm_id).state == "ALARM"
            self.outcomes[alarm_id] = Outcome(fired=fired, statuses=list(self._statuses))

    def settle(self, alarm_ids: Iterable[str], *, resolves: bool = True) -> None:
        """After the fault is removed: each alarm's emails (and its resolution, where it resolves)."""
        for alarm_id in alarm_ids:
            self._settle(alarm_id, resolves=resolves)

    def _settle(self, alarm_id: str, *, resolves: bool) -> None:
        outcome = self.outcomes[alarm_id]
        alarm = self.alarm(alarm_id)
        outcome.alarm_email = self.wait(lambda: self._email(alarm, "ALARM", self._mark))
        if resolves:
            outcome.resolved = self.wait(lambda: alarm.state == "OK") is not None
            after = outcome.alarm_email.sequence if outcome.alarm_email else self._mark
            outcome.resolved_email = self.wait(lambda: self._email(alarm, "OK", after))
        outcome.seconds = time.monotonic() - self._started

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

    def _email(self, alarm: AlarmDefinition, state: str, after: int) -> SentEmail | None:
        """The notifier's `[ALARM] <title>: …` / `[RESOLVED] <title>: …`, or SNS's plain `ALARM: "name" in …` /
        `OK: …`."""
        notifier_tag, plain_tag = {"ALARM": ("[ALARM]", "ALARM: "), "OK": ("[RESOLVED]", "OK: ")}[state]
        for sent in self.system.outbox():
            if sent.sequence > after and (
                sent.subject.startswith(notifier_subject_start(alarm, notifier_tag))
                or (sent.subject.startswith(plain_tag) and alarm.name in sent.subject)
            ):
                return sent
        return None


def notifier_subject_start(alarm: AlarmDefinition, tag: str) -> str:
    """`[ALARM] Traffic spike: `: how the notifier's subject for the alarm starts (its title, from the alarm's
    description: catalog.alarm_description)."""
    title, _unit = catalog.alarm_title_and_unit(alarm.declared.description) or (alarm.name, "")
    return f"{tag} {title}: "


# -- the scenarios -------------------------------------------------------------------------------------------------
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
    assert lab.system.stage_control is not None
    guard.updates = list(lab.system.stage_control.updates)
    if guard.restored is not None and guard.guarded is not None:
        # after the time the bucket takes to refill to its configured burst
        time.sleep(guard.normal[1] / guard.normal[0])
        guard.after_release = visits_at_once(lab.system.api_url, guard.guarded[1] + 10)


def dynamodb_unreachable(lab: Lab) -> None:
    """The emulator (DynamoDB among it) stops answering: the counter's calls fail to connect, it answers 503 and counts
    VisitStoreFailures; the 503s are 5xx."""
    ids = [VISIT_STORE_FAILURES_ALARM, API_5XX_ALARM]
    lab.begin(ids)
    # Not a deleted table: the counter treats ResourceNotFoundException as a bug (500), not as the store unavailable.
    lab.system.emulator.stop()
    try:
        lab.provoke(ids, lambda: [lab.visit() for _ in range(4)], pace_seconds=0.2)
    finally:
        lab.system.emulator.start()
    answered = lab.visit()
    for alarm_id in ids:
        lab.outcomes[alarm_id].answered_after = answered
    lab.settle(ids)


def site_down(lab: Lab) -> None:
    """The local site server stops: the probe (every probe interval, scaled) fails twice in a row; back, the next probe
    passes."""
    ids = [SITE_UNAVAILABLE_ALARM]
    lab.begin(ids)
    lab.system.stop_site()
    try:
        lab.provoke(ids, lambda: None, pace_seconds=0.2)
    finally:
        lab.system.start_site()
    lab.settle(ids)


def slow_requests(lab: Lab) -> None:
    """Real requests against a 1 ms p99 threshold."""
    ids = [API_P99_LATENCY_ALARM]
    lab.begin(ids)
    lab.provoke(ids, lab.visit, pace_seconds=0.1)
    lab.settle(ids, resolves=False)


def counter_throttled(lab: Lab) -> None:
    """Four visits at once over the counter's reserved concurrency of 1: all but the first are throttled, and API
    Gateway answers a throttled Lambda integration with its own 500 (tools/local/lambda_runtime)."""
    ids = [COUNTER_THROTTLES_ALARM]
    lab.begin(ids)
    lab.provoke(ids, lambda: lab.visits_at_once(4), pace_seconds=0.5)
    lab.settle(ids)


def notifier_failing(lab: Lab) -> None:
    """SES refuses the notifier's sends (a Deny on its IAM user, as for paused sending or a spent quota) while an
    owner alarm (counter-throttles) fires. Not an unverified sender: the notifier then sends nothing and fails
    nothing (functions/notifier/sender.py)."""
    ids = [NOTIFIER_ERRORS_ALARM, NOTIFIER_DLQ_ALARM]
    lab.wait_for(lambda: lab.alarm(COUNTER_THROTTLES_ALARM).state != "ALARM", "counter-throttles quiet")
    lab.begin(ids)
    iam = lab.system.emulator.client("iam")
    notifier = user_name(lab.system.model.function(catalog.NOTIFIER_HANDLER).logical_id)
    refusal = {"Effect": "Deny", "Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [refusal]})
    iam.put_user_policy(UserName=notifier, PolicyName=_SES_REFUSES, PolicyDocument=document)
    try:
        lab.provoke(ids, lambda: lab.visits_at_once(4), pace_seconds=0.5)
    finally:
        iam.delete_user_policy(UserName=notifier, PolicyName=_SES_REFUSES)
    lab.settle([NOTIFIER_ERRORS_ALARM])
    lab.settle([NOTIFIER_DLQ_ALARM], resolves=False)
    queue = lab.system.model.function(catalog.NOTIFIER_HANDLER).on_failure_queue
    assert queue is not None, "the notifier has no on-failure queue"
    lab.outcomes[NOTIFIER_DLQ_ALARM].parked = queued_messages(lab.system.emulator.clients().sqs, queue)


def notifier_gone(lab: Lab) -> None:
    """The notifier function deleted: SNS's delivery of an owner alarm (counter-throttles) is refused by Lambda (a
    client-side error, not retried), counted in NumberOfNotificationsFailed, and the message goes to the
    subscription's dead-letter queue."""
    ids = [ALARM_TOPIC_DELIVERY_ALARM]
    lab.wait_for(lambda: lab.alarm(COUNTER_THROTTLES_ALARM).state != "ALARM", "counter-throttles quiet")
    lab.begin(ids)
    subscription = _notifier_subscription(lab.system.model)
    assert subscription.function is not None
    lab.system.runtime.delete_function(subscription.function)
    try:
        lab.provoke(ids, lambda: lab.visits_at_once(4), pace_seconds=0.5)
    finally:
        lab.system.runtime.delete_function(subscription.function, deleted=False)
    lab.settle(ids)
    queue = subscription.dead_letter_queue
    assert queue is not None, "the subscription has no dead-letter queue"
    lab.outcomes[ALARM_TOPIC_DELIVERY_ALARM].parked = queued_messages(lab.system.emulator.clients().sqs, queue)


@dataclass(frozen=True)
class Scenario:
    system: str
    """The key of its local system's config in SYSTEM_CONFIGS."""
    run: Callable[[Lab], None]
    fires: tuple[str, ...]
    not_resolved: tuple[str, ...] = ()
    """Alarms it fires that are not expected to resolve locally (its docstring says why)."""

    @property
    def name(self) -> str:
        return self.run.__name__.replace("_", "-")

    @property
    def fault(self) -> str:
        """The first sentence of its docstring."""
        return " ".join((self.run.__doc__ or "").split()).split(". ")[0].removesuffix(".") + "."


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("visitors", site_down, (SITE_UNAVAILABLE_ALARM,)),
    Scenario("visitors", dynamodb_unreachable, (VISIT_STORE_FAILURES_ALARM, API_5XX_ALARM)),
    Scenario("spike", request_spike, (API_REQUEST_SPIKE_ALARM,)),
    Scenario("latency", slow_requests, (API_P99_LATENCY_ALARM,), not_resolved=(API_P99_LATENCY_ALARM,)),
    Scenario("alerting", counter_throttled, (COUNTER_THROTTLES_ALARM,)),
    Scenario(
        "alerting",
        notifier_failing,
        (NOTIFIER_ERRORS_ALARM, NOTIFIER_DLQ_ALARM),
        not_resolved=(NOTIFIER_DLQ_ALARM,),
    ),
    Scenario("alerting", notifier_gone, (ALARM_TOPIC_DELIVERY_ALARM,)),
)
"""In the order they run: grouped by local system, so each system starts once."""


def scenario_rows() -> list[str]:
    """docs/alerting.md's table of which scenario provokes each alarm."""
    rows = ["| alarm id | scenario | local system | the fault | resolution checked |", "|---|---|---|---|---|"]
    for scenario in SCENARIOS:
        for alarm_id in scenario.fires:
            resolves = "no (below)" if alarm_id in scenario.not_resolved else "yes"
            cells = (f"`{alarm_id}`", f"`{scenario.name}`", f"`{scenario.system}`", scenario.fault, resolves)
            rows.append(f"| {' | '.join(cells)} |")
    return rows


def _notifier_subscription(model: StackModel) -> Subscription:
    (subscription,) = [s for s in model.subscriptions if s.function is not None]
    return subscription
