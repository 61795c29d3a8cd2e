"""How each alarm of the synthesized template is made to fire on the real local system: the fault it watches for,
provoked through real parts (the emulator, the local API, the runtime), never by writing its metric.

`PROVOCATIONS` maps every alarm id to the local system it runs on and its scenario; a scenario provokes the fault
until all the alarms it fires are in ALARM, removes the fault and waits for them to resolve. A new alarm needs its
entry here (tests/e2e/test_every_alarm_fires.py fails without one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import requests

from functions.common import catalog
from tools.local.cloudwatch.alarms import AlarmDefinition
from tools.local.provision import create_sender_identity
from tools.local.ses import SentEmail
from tools.local.system import LocalSystem

T = TypeVar("T")
PERIOD_SCALE = 0.01
"""5-minute periods become 3 s; alarms on 2 of 3 periods fire after 3-6 s of a fault."""
STEP_TIMEOUT_SECONDS = 40
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
_RAISED_STAGE_THROTTLE = {"api_throttle_rate_per_second": "1000", "api_throttle_burst_requests": "1000"}

SYSTEM_CONFIGS: dict[str, dict[str, str]] = {
    # Visitors' faults: a request spike, DynamoDB unreachable, the site down.
    "visitors": _RAISED_STAGE_THROTTLE
    | {"alarm_thresholds.api_requests_per_5_minutes": "60", "probe_interval_minutes": "5"},
    # Every request breaches a 1 ms p99, and the alarm keeps its state without requests: a system of its own.
    "latency": _RAISED_STAGE_THROTTLE | {"alarm_thresholds.api_p99_latency_ms": "1"},
    # The counter's reservation of 1 (throttles, the trigger of the alerting-path scenarios) and the notifier
    # broken or gone; the throttled requests' 500s stay below a raised 5xx threshold.
    "alerting": _RAISED_STAGE_THROTTLE
    | {"counter_reserved_concurrency": "1", "alarm_thresholds.api_5xx_per_5_minutes": "1000"},
}


@dataclass
class Outcome:
    """What happened to one alarm in its scenario."""

    fired: bool = False
    resolved: bool = False
    alarm_email: SentEmail | None = None
    resolved_email: SentEmail | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Provocation:
    system: str
    scenario: Callable[[Lab], None]
    resolves: bool = True
    """False where resolving is not cheap or not possible locally (the docstring of the scenario says why)."""


@dataclass
class Lab:
    """One local system and what its scenarios observed."""

    system: LocalSystem
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)
    """What the local API answered the visits of the current scenario (0: no answer)."""

    def alarm(self, alarm_id: str) -> AlarmDefinition:
        (alarm,) = [a for a in self.system.evaluator.alarms if a.name == catalog.alarm_name("ResumeBackend", alarm_id)]
        return alarm

    def visit(self, user_agent: str = FIREFOX) -> int:
        try:
            url = self.system.api_url + catalog.VISITS_PATH
            status = requests.post(url, headers={"user-agent": user_agent}, timeout=10).status_code
        except requests.RequestException:
            status = 0
        self.statuses.append(status)
        return status

    def provoke(self, alarm_ids: Iterable[str], fault: Callable[[], object], pace_seconds: float) -> None:
        """Waits until the alarms are quiet, then repeats `fault` until all of them are in ALARM."""
        ids = list(alarm_ids)
        _wait_for(lambda: all(self.alarm(i).state != "ALARM" for i in ids), "the alarms quiet before the fault")
        self._started = time.monotonic()
        self.statuses.clear()
        self._mark = max((e.sequence for e in self.system.outbox()), default=0)
        deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not all(self.alarm(i).state == "ALARM" for i in ids):
            fault()
            time.sleep(pace_seconds)
        for alarm_id in ids:
            self.outcomes[alarm_id] = Outcome(fired=self.alarm(alarm_id).state == "ALARM")

    def settle(self, alarm_ids: Iterable[str], *, resolves: bool = True) -> None:
        """After the fault is removed: each alarm's emails (and its resolution, where it resolves)."""
        for alarm_id in alarm_ids:
            self._settle(alarm_id, resolves=resolves)

    def _settle(self, alarm_id: str, *, resolves: bool) -> None:
        outcome = self.outcomes[alarm_id]
        alarm = self.alarm(alarm_id)
        outcome.alarm_email = _wait(lambda: self._email(alarm.name, "ALARM", self._mark))
        if resolves:
            outcome.resolved = _wait(lambda: alarm.state == "OK") is not None
            after = outcome.alarm_email.sequence if outcome.alarm_email else self._mark
            outcome.resolved_email = _wait(lambda: self._email(alarm.name, "OK", after))
        outcome.seconds = time.monotonic() - self._started

    def _email(self, alarm_name: str, state: str, after: int) -> SentEmail | None:
        """The notifier's `[ALARM] name …` / `[RESOLVED] name …`, or SNS's plain `ALARM: "name" in …` / `OK: …`."""
        tags = {"ALARM": ("[ALARM] ", "ALARM: "), "OK": ("[RESOLVED] ", "OK: ")}[state]
        for sent in self.system.outbox():
            if sent.sequence > after and alarm_name in sent.subject and sent.subject.startswith(tags):
                return sent
        return None


def _wait(condition: Callable[[], T | bool | None]) -> T | None:
    """The condition's first truthy answer within STEP_TIMEOUT_SECONDS, else None."""
    deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if found := condition():
            return found  # type: ignore[return-value]  # True stands for itself
        time.sleep(0.1)
    return None


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    if _wait(condition) is None:
        raise AssertionError(f"timed out after {STEP_TIMEOUT_SECONDS} s waiting for {what}")


# -- the scenarios ------------------------------------------------------------------------------------------------
def request_spike(lab: Lab) -> None:
    """More than 60 requests in each of two 3-s periods (threshold lowered from 1000 per 5 minutes)."""
    ids = ["api-request-spike"]
    lab.provoke(ids, lambda: [lab.visit() for _ in range(10)], pace_seconds=0.05)
    lab.settle(ids)


def dynamodb_unreachable(lab: Lab) -> None:
    """The emulator (DynamoDB among it) stops answering: the counter's calls fail to connect, it answers 503 and
    counts VisitStoreFailures; the 503s are 5xx. Notifications published while it is down are published when it is
    back (tools/local/cloudwatch/alarms.py AlarmWatch), as the counter's metrics reach the local CloudWatch at once.
    A deleted table would not do: the counter treats ResourceNotFoundException as a bug (500), not as the store
    being unavailable."""
    ids = ["visit-store-failures", "api-5xx-errors"]
    emulator = lab.system.emulator
    emulator.stop()
    try:
        lab.provoke(ids, lambda: [lab.visit() for _ in range(4)], pace_seconds=0.2)
    finally:
        emulator.start()
    assert set(lab.statuses) == {503}, lab.statuses
    assert lab.visit() == 200
    lab.settle(ids)


def site_down(lab: Lab) -> None:
    """The local site server stops: the probe (every 3 s) fails twice in a row; back, the next probe passes."""
    ids = ["site-unavailable"]
    lab.system.stop_site()
    try:
        lab.provoke(ids, lambda: None, pace_seconds=0.2)
    finally:
        lab.system.start_site()
    lab.settle(ids)


def slow_requests(lab: Lab) -> None:
    """Real requests against a 1 ms p99 threshold. No resolution: every request breaches it, and with no requests
    the alarm keeps its state (missing data: ignore)."""
    ids = ["api-p99-latency"]
    lab.provoke(ids, lab.visit, pace_seconds=0.1)
    lab.settle(ids, resolves=False)


def _concurrent_visits(lab: Lab, count: int = 4) -> None:
    """`count` visits at once: with a reservation of 1, all but the first are throttled (500)."""
    threads = [threading.Thread(target=lab.visit, args=(f"{FIREFOX} burst/{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def counter_throttled(lab: Lab) -> None:
    """Concurrent visits over the counter's reserved concurrency of 1."""
    ids = ["counter-throttles"]
    lab.provoke(ids, lambda: _concurrent_visits(lab), pace_seconds=0.5)
    # API Gateway answers a throttled Lambda integration with its own 500 (concurrency.py)
    assert set(lab.statuses) == {200, 500}, lab.statuses
    lab.settle(ids)


def notifier_failing(lab: Lab) -> None:
    """SES refuses the sender (its identity deleted on the emulator: "Email address not verified"); an owner alarm
    (counter-throttles) fires, the notifier fails its invocation and Lambda's two retries, and the event goes to
    its on-failure queue. The identity restored, the resolution of counter-throttles is emailed again.
    The dead-letter alarm is not asserted to resolve: locally the queue's depth is recorded when a message
    arrives, not every minute as SQS does, so it would resolve with the message still in the queue."""
    ids = ["notifier-errors", "notifier-dead-letters"]
    sender = lab.system.template.resolve(_sender_identity(lab))
    ses = lab.system.emulator.clients().sesv2
    ses.delete_email_identity(EmailIdentity=sender)
    _wait_for(lambda: lab.alarm("counter-throttles").state != "ALARM", "counter-throttles quiet")
    try:
        lab.provoke(ids, lambda: _concurrent_visits(lab), pace_seconds=0.5)
    finally:
        create_sender_identity(ses, sender)
    lab.settle(["notifier-errors"])
    lab.settle(["notifier-dead-letters"], resolves=False)
    assert _parked_messages(lab) >= 1  # the notification the notifier could not email, in its on-failure queue


def notifier_gone(lab: Lab) -> None:
    """The notifier function deleted: SNS's delivery of an owner alarm (counter-throttles) is refused by Lambda
    (a client-side error, not retried), counted in NumberOfNotificationsFailed, and the message goes to the
    subscription's dead-letter queue. Redeployed, the next notification is delivered."""
    ids = ["alarm-topic-delivery-failures"]
    function_id = _notifier_function(lab)
    _wait_for(lambda: lab.alarm("counter-throttles").state != "ALARM", "counter-throttles quiet")
    lab.system.runtime.delete_function(function_id)
    try:
        lab.provoke(ids, lambda: _concurrent_visits(lab), pace_seconds=0.5)
    finally:
        lab.system.runtime.delete_function(function_id, deleted=False)
    lab.settle(ids)
    assert _parked_messages(lab) >= 1  # the refused notification, in the subscription's dead-letter queue


def _parked_messages(lab: Lab) -> int:
    (queue,) = lab.system.template.of_type("AWS::SQS::Queue")
    sqs = lab.system.emulator.clients().sqs
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _sender_identity(lab: Lab) -> object:
    ((_, identity),) = lab.system.template.of_type("AWS::SES::EmailIdentity").items()
    return identity["Properties"]["EmailIdentity"]


def _notifier_function(lab: Lab) -> str:
    for subscription in lab.system.template.of_type("AWS::SNS::Subscription").values():
        if subscription["Properties"]["Protocol"] == "lambda":
            return str(subscription["Properties"]["Endpoint"]["Fn::GetAtt"][0])
    raise AssertionError("no Lambda subscription in the template")


PROVOCATIONS: dict[str, Provocation] = {
    "site-unavailable": Provocation("visitors", site_down),
    "api-request-spike": Provocation("visitors", request_spike),
    "api-5xx-errors": Provocation("visitors", dynamodb_unreachable),
    "visit-store-failures": Provocation("visitors", dynamodb_unreachable),
    "api-p99-latency": Provocation("latency", slow_requests, resolves=False),
    "counter-throttles": Provocation("alerting", counter_throttled),
    "notifier-errors": Provocation("alerting", notifier_failing),
    "notifier-dead-letters": Provocation("alerting", notifier_failing, resolves=False),
    "alarm-topic-delivery-failures": Provocation("alerting", notifier_gone),
}
