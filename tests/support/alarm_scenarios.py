"""How each alarm of the template is made to fire on the local system by its real fault (never by writing a metric),
for tests/e2e/test_every_alarm_fires.py: one scenario per alarm in `SCENARIOS`, run on the drill's `Lab`
(tools/local/drills/provocations.py, whose request spike and site down are two of them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from functions.common import catalog
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM, API_REQUEST_SPIKE_ALARM
from infra.monitoring.notifier import ALARM_TOPIC_DELIVERY_ALARM, NOTIFIER_DLQ_ALARM, NOTIFIER_ERRORS_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from stack_model.messaging import Subscription
from stack_model.stack import StackModel
from tests.support.deleted_function import deleted
from tools.local.drills.provocations import Lab, Outcome, request_spike, site_down, visit, visits_at_once
from tools.local.iam import user_name
from tools.local.sns import queued_messages

PERIOD_SCALE = 0.01
"""The e2e scenarios' scale: 5-minute periods become 3 s; alarms on 2 of 3 periods fire after 3-6 s of a fault."""
_SES_REFUSES = "drill-ses-refuses"
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


@dataclass
class FaultOutcome(Outcome):
    """What these scenarios also record of a fault, beyond the drill's `Outcome`."""

    statuses: list[int] = field(default_factory=list)
    """What the local API answered the scenario's visits during the fault (0: no answer)."""
    answered_after: int | None = None
    """What it answered a visit once the fault was undone (where the scenario sends one)."""
    parked: int | None = None
    """Messages waiting in the dead-letter queue after the scenario (where it parks one)."""


def fault_outcome(outcome: Outcome) -> FaultOutcome:
    assert isinstance(outcome, FaultOutcome), "recorded by the drill's request spike, not by a fault of this module"
    return outcome


def provoke(lab: Lab, alarm_ids: Iterable[str], fault: Callable[[], list[int]], pace_seconds: float) -> None:
    """After `lab.begin`, repeats `fault` (the statuses of the visits it sent) until all the alarms are in ALARM, or
    the step's time is up."""
    ids, statuses = list(alarm_ids), []
    deadline = time.monotonic() + lab.step_timeout_seconds
    while time.monotonic() < deadline and not all(lab.alarm(i).state == "ALARM" for i in ids):
        statuses += fault()
        time.sleep(pace_seconds)
    for alarm_id in ids:
        lab.outcomes[alarm_id] = FaultOutcome(fired=lab.alarm(alarm_id).state == "ALARM", statuses=statuses)


def dynamodb_unreachable(lab: Lab) -> None:
    """The emulator (DynamoDB among it) stops answering: the counter's calls fail to connect, it answers 503 and counts
    VisitStoreFailures; the 503s are 5xx."""
    ids = [VISIT_STORE_FAILURES_ALARM, API_5XX_ALARM]
    lab.begin(ids)
    # Not a deleted table: the counter treats ResourceNotFoundException as a bug (500), not as the store unavailable.
    lab.system.emulator.stop()
    try:
        provoke(lab, ids, lambda: [visit(lab.system.api_url) for _ in range(4)], pace_seconds=0.2)
    finally:
        lab.system.emulator.start()
    answered = visit(lab.system.api_url)
    for alarm_id in ids:
        fault_outcome(lab.outcomes[alarm_id]).answered_after = answered
    lab.settle(ids)


def slow_requests(lab: Lab) -> None:
    """Real requests against a 1 ms p99 threshold."""
    ids = [API_P99_LATENCY_ALARM]
    lab.begin(ids)
    provoke(lab, ids, lambda: [visit(lab.system.api_url)], pace_seconds=0.1)
    lab.settle(ids, resolves=False)


def counter_throttled(lab: Lab) -> None:
    """Four visits at once over the counter's reserved concurrency of 1: all but the first are throttled, and API
    Gateway answers a throttled Lambda integration with its own 500 (tools/local/lambda_runtime)."""
    ids = [COUNTER_THROTTLES_ALARM]
    lab.begin(ids)
    provoke(lab, ids, lambda: visits_at_once(lab.system.api_url, 4), pace_seconds=0.5)
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
        provoke(lab, ids, lambda: visits_at_once(lab.system.api_url, 4), pace_seconds=0.5)
    finally:
        iam.delete_user_policy(UserName=notifier, PolicyName=_SES_REFUSES)
    lab.settle([NOTIFIER_ERRORS_ALARM])
    lab.settle([NOTIFIER_DLQ_ALARM], resolves=False)
    queue = lab.system.model.function(catalog.NOTIFIER_HANDLER).on_failure_queue
    assert queue is not None, "the notifier has no on-failure queue"
    fault_outcome(lab.outcomes[NOTIFIER_DLQ_ALARM]).parked = queued_messages(lab.system.emulator.clients().sqs, queue)


def notifier_gone(lab: Lab) -> None:
    """The notifier function deleted: SNS's delivery of an owner alarm (counter-throttles) is refused by Lambda (a
    client-side error, not retried), counted in NumberOfNotificationsFailed, and the message goes to the
    subscription's dead-letter queue."""
    ids = [ALARM_TOPIC_DELIVERY_ALARM]
    lab.wait_for(lambda: lab.alarm(COUNTER_THROTTLES_ALARM).state != "ALARM", "counter-throttles quiet")
    lab.begin(ids)
    subscription = _notifier_subscription(lab.system.model)
    assert subscription.function is not None
    with deleted(lab.system.runtime.function(subscription.function)):
        provoke(lab, ids, lambda: visits_at_once(lab.system.api_url, 4), pace_seconds=0.5)
    lab.settle(ids)
    queue = subscription.dead_letter_queue
    assert queue is not None, "the subscription has no dead-letter queue"
    fault_outcome(lab.outcomes[ALARM_TOPIC_DELIVERY_ALARM]).parked = queued_messages(
        lab.system.emulator.clients().sqs, queue
    )


def _notifier_subscription(model: StackModel) -> Subscription:
    (subscription,) = [s for s in model.subscriptions if s.function is not None]
    return subscription


@dataclass(frozen=True)
class Scenario:
    system: str
    """The key of its local system's config in SYSTEM_CONFIGS."""
    run: Callable[[Lab], None]
    fires: tuple[str, ...]
    not_resolved: tuple[str, ...] = ()
    """Alarms it fires that are not expected to resolve locally (docs/alerting.md#how-each-alarm-is-proven)."""

    @property
    def name(self) -> str:
        return self.run.__name__.replace("_", "-")


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
