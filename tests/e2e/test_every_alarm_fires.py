"""Every alarm of the synthesized default template fires on the local system when its fault is provoked, and its
notification reaches where the alarm's route sends it: the owner route's alarm topic → the notifier's email (SES)
to the alert recipients; the alerting-health route's topic → SNS's plain email to that topic's subscriptions.
Where resolving is cheap, the alarm also returns to OK once the fault is removed, and that is notified too.

Each alarm is provoked by exactly one scenario (tests/support/alarm_scenarios.py, on the drill's lab);
what a user notices of a particular fault (the throttle guard acting on a request spike, the failed probe check
named in the email, the visitors' 503s) is asserted on that scenario's outcome. Alarms that would disturb each
other run on separate local systems (one at a time, see Labs); a system is shared by the scenarios of its group,
each waiting for its alarms to be quiet first.

Bounded: every wait ends by its own timeout; nothing asserts how long a step took.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.common import catalog
from infra.monitoring.counter import COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM
from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from infra.monitoring.notifier import ALARM_TOPIC_DELIVERY_ALARM, NOTIFIER_DLQ_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from stack_model.stack import StackModel
from tests.support.alarm_scenarios import PERIOD_SCALE, SCENARIOS, SYSTEM_CONFIGS, Scenario, fault_outcome
from tests.support.ports import free_port_base
from tools.local.drills.provocations import Lab, Outcome
from tools.local.system import LocalSystem, Ports
from tools.synth import default_template

pytestmark = pytest.mark.e2e

TEMPLATE_ALARM_IDS = sorted(
    alarm.name.removeprefix("ResumeBackend-") for alarm in StackModel.from_template(default_template()).alarms
)
ALARM_IDS = [alarm_id for scenario in SCENARIOS for alarm_id in scenario.fires if alarm_id in TEMPLATE_ALARM_IDS]
"""In the order the scenarios run (grouped by local system, so each system starts once)."""


def scenario_of(alarm_id: str) -> Scenario:
    """The one scenario that fires the alarm."""
    (found,) = [scenario for scenario in SCENARIOS if alarm_id in scenario.fires]
    return found


def route_of(model: StackModel, alarm_name: str) -> tuple[str, tuple[str, ...]]:
    """Where the alarm's notification should arrive (channel, recipients), from its topic's subscriptions: the
    notifier's email (SES) to the alert recipients, or the alerting-health topic's plain SNS email."""
    (alarm,) = [a for a in model.alarms if a.name == alarm_name]
    (topic,) = alarm.alarm_actions
    subscriptions = [s for s in model.subscriptions if s.topic == topic]
    notifiers = [s.function for s in subscriptions if s.function is not None]
    if notifiers:
        recipients = model.functions[notifiers[0]].environment[catalog.ALERT_RECIPIENTS_ENV]
        return "ses", tuple(sorted(recipients.split(",")))
    return "sns-email", tuple(sorted(s.endpoint for s in subscriptions if s.protocol == "email"))


class Labs:
    """One local system at a time: the emulator's state is moto's, global to this process, and a system's start
    empties it (emulator.py), so a second system running beside the first would wipe its tables and topics.
    What the scenarios observed outlives their system."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._current: tuple[str, Lab] | None = None
        self.outcomes: dict[str, Outcome] = {}
        self.done: set[str] = set()
        self._ran_on: dict[str, Lab] = {}

    def outcome(self, alarm_id: str) -> tuple[Lab, Outcome]:
        """The alarm's outcome and the lab it ran on, its scenario run first if it has not run yet."""
        scenario = scenario_of(alarm_id)
        if scenario.name not in self.done:
            lab = self._lab(scenario.system)
            self.done.add(scenario.name)
            scenario.run(lab)
            self._ran_on |= dict.fromkeys(scenario.fires, lab)
        return self._ran_on[alarm_id], self.outcomes[alarm_id]

    def _lab(self, name: str) -> Lab:
        if self._current is not None and self._current[0] == name:
            return self._current[1]
        self.stop()
        system = LocalSystem(
            Ports.from_base(free_port_base()),
            self._root / name,
            reset=True,
            period_scale=PERIOD_SCALE,
            config_overrides=SYSTEM_CONFIGS[name],
        )
        system.start()
        self._current = (name, Lab(system, outcomes=self.outcomes))
        return self._current[1]

    def stop(self) -> None:
        if self._current is not None:
            self._current[1].system.stop()
            self._current = None


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Labs]:
    started = Labs(tmp_path_factory.mktemp("alarms"))
    yield started
    started.stop()


def test_every_alarm_of_the_template_is_provoked_by_exactly_one_scenario() -> None:
    assert len(TEMPLATE_ALARM_IDS) >= 9
    provoked = Counter(alarm_id for scenario in SCENARIOS for alarm_id in scenario.fires)
    missing = sorted(set(TEMPLATE_ALARM_IDS) - set(provoked))
    assert not missing, f"alarms without a scenario in tests/support/alarm_scenarios.py: {missing}"
    assert not sorted(set(provoked) - set(TEMPLATE_ALARM_IDS)), "scenarios of alarms the template no longer has"
    assert {alarm_id: count for alarm_id, count in provoked.items() if count != 1} == {}
    assert all(set(s.not_resolved) <= set(s.fires) for s in SCENARIOS)


@pytest.mark.parametrize("alarm_id", ALARM_IDS)
def test_the_alarm_fires_on_its_fault_and_notifies_its_route(alarm_id: str, labs: Labs) -> None:
    # Given the local system this alarm's scenario runs on
    # When its fault is provoked (once per scenario, for every alarm it fires) and then removed
    lab, outcome = labs.outcome(alarm_id)
    # Then the alarm went to ALARM and its notification reached its route's channel and recipients
    assert outcome.fired, f"{alarm_id} did not fire; history: {lab.alarm(alarm_id).history}"
    channel, recipients = route_of(lab.system.model, lab.alarm_name(alarm_id))
    fired = outcome.alarm_email
    assert fired is not None, f"no ALARM notification of {alarm_id}: {lab.system.outbox()}"
    assert (fired.channel, tuple(sorted(fired.recipients))) == (channel, recipients)
    if channel == "ses":
        # And the notifier's email has a text and an HTML part, each linking the alarm's runbook section, and
        # the text the alarm in the CloudWatch console
        assert f"runbook.md#{alarm_id}" in fired.text
        assert "console.aws.amazon.com/cloudwatch" in fired.text
        assert "<html" in fired.html.lower()
        assert f"runbook.md#{alarm_id}" in fired.html
    # And, where it resolves locally, it went back to OK and that was notified after it, on the same route
    if alarm_id not in scenario_of(alarm_id).not_resolved:
        assert outcome.resolved, f"{alarm_id} did not resolve; history: {lab.alarm(alarm_id).history}"
        assert outcome.resolved_email is not None, f"no OK notification of {alarm_id}"
        assert outcome.resolved_email.channel == channel
        assert outcome.resolved_email.sequence > fired.sequence


def _guard_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Throttle guard:")]


def test_a_request_spike_engages_the_throttle_guard_and_its_end_releases_it(labs: Labs) -> None:
    # Given the stage at its configured throttle; When a sustained spike fires api-request-spike and then ends
    lab, outcome = labs.outcome(API_REQUEST_SPIKE_ALARM)
    guard = outcome.guard
    assert guard is not None
    assert outcome.alarm_email is not None
    assert outcome.resolved_email is not None
    environment = lab.system.model.function(catalog.NOTIFIER_HANDLER).environment
    guarded = (float(environment[catalog.GUARD_RATE_ENV]), int(environment[catalog.GUARD_BURST_ENV]))
    rate, burst = float(environment[catalog.NORMAL_RATE_ENV]), int(environment[catalog.NORMAL_BURST_ENV])
    assert guard.normal == (rate, burst)
    # Then the notifier's UpdateStage lowered the throttle to the guard's limits, and restored it after the spike
    # (after the release the alarm's first OK made at start-up, which set the configured ones)
    assert guard.guarded == guarded
    # (engaged and released once, or more often if the spike outlasted a release on a slow machine)
    assert lab.system.stage_control is not None
    updates = lab.system.stage_control.updates  # the notifier's UpdateStage calls, in order, since the start
    assert updates[0] == guard.normal
    assert updates[-1] == guard.normal
    assert guarded in updates
    assert set(updates) == {guard.normal, guarded}
    assert guard.restored == guard.normal
    # And under the guard the API answered 429 beyond its rate
    assert guard.while_guarded.get(429, 0) > 0, guard.while_guarded
    assert guard.while_guarded.get(200, 0) <= guarded[0] * guard.guarded_seconds + guarded[1], guard.while_guarded
    # And the owner's emails say so, with the limits
    assert _guard_lines(outcome.alarm_email.text) == [
        f"Throttle guard: engaged: API stage throttle lowered to {guarded[0]:g} requests/s, burst {guarded[1]}"
    ]
    assert _guard_lines(outcome.resolved_email.text) == [
        f"Throttle guard: released: API stage throttle restored to {rate:g} requests/s, burst {burst}"
    ]
    # And the restored throttle admits at once a burst bigger than the guard's
    assert guard.after_release == [200] * (guarded[1] + 10)


def test_the_site_unavailable_email_names_the_failed_probe_check(labs: Labs) -> None:
    # When the site is down until site-unavailable fires
    lab, outcome = labs.outcome(SITE_UNAVAILABLE_ALARM)
    # Then its email names the failing check and the answer seen (read from the probe's log group on the emulator)
    assert outcome.alarm_email is not None
    seen = f"Latest failed probe check: {catalog.PROBE_CHECK_SITE_PAGE}: no answer from {lab.system.site_origin}"
    assert seen in outcome.alarm_email.text, outcome.alarm_email.text


def test_visitors_get_503_while_the_store_is_unreachable_and_200_once_it_is_back(labs: Labs) -> None:
    # When the store is unreachable until visit-store-failures and api-5xx-errors fire, and then back
    outcome = fault_outcome(labs.outcome(VISIT_STORE_FAILURES_ALARM)[1])
    # Then every visit meanwhile was answered 503 (the store unavailable), and the next one 200
    assert set(outcome.statuses) == {503}, outcome.statuses
    assert outcome.answered_after == 200


def test_visits_over_the_counters_reservation_are_answered_500(labs: Labs) -> None:
    # When visits arrive at once over the counter's reserved concurrency of 1
    outcome = fault_outcome(labs.outcome(COUNTER_THROTTLES_ALARM)[1])
    # Then the throttled ones got API Gateway's own 500 (its answer to a throttled Lambda integration)
    assert set(outcome.statuses) == {200, 500}, outcome.statuses


@pytest.mark.parametrize("alarm_id", [NOTIFIER_DLQ_ALARM, ALARM_TOPIC_DELIVERY_ALARM])
def test_an_undelivered_notification_waits_in_its_dead_letter_queue(alarm_id: str, labs: Labs) -> None:
    # When the notifier cannot email (SES refuses the sender) or is gone (deleted)
    outcome = fault_outcome(labs.outcome(alarm_id)[1])
    # Then the notification waits for a replay: in the notifier's on-failure queue, or in the subscription's
    # dead-letter queue (SNS could not hand it to the deleted notifier)
    assert (outcome.parked or 0) >= 1, outcome.parked
