"""Every alarm of the synthesized default template fires on the local system when its fault is provoked, and its
notification reaches where the alarm's route sends it: the owner route's alarm topic → the notifier's email (SES)
to the alert recipients; the alerting-health route's topic → SNS's plain email to that topic's subscriptions.
Where resolving is cheap, the alarm also returns to OK once the fault is removed, and that is notified too.

The alarm ids come from the template, so an alarm without a provocation (tests/e2e/alarm_provocations.py) fails
here. Alarms that would disturb each other run on separate local systems (one at a time, see Labs); a system is
shared by the scenarios of its group, each waiting for its alarms to be quiet first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.common import catalog
from stack_model.template import LocalTemplate
from tests.e2e.alarm_provocations import PERIOD_SCALE, PROVOCATIONS, SYSTEM_CONFIGS, Lab
from tests.support.ports import free_port_base
from tools.local.system import LocalSystem, Ports
from tools.synth import default_template

pytestmark = pytest.mark.e2e

STACK = "ResumeBackend"


def _template_alarm_ids() -> list[str]:
    """In template order, grouped by the system their provocation runs on (so each system starts once)."""
    alarms = LocalTemplate(default_template()).of_type("AWS::CloudWatch::Alarm").values()
    ids = [str(alarm["Properties"]["AlarmName"]).removeprefix(f"{STACK}-") for alarm in alarms]
    systems = list(SYSTEM_CONFIGS)
    return sorted(ids, key=lambda i: systems.index(PROVOCATIONS[i].system) if i in PROVOCATIONS else len(systems))


ALARM_IDS = _template_alarm_ids()


class Labs:
    """One local system at a time: the emulator's state is moto's, global to this process, and a system's start
    empties it (emulator.py), so a second system running beside the first would wipe its tables and topics."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._current: tuple[str, Lab] | None = None

    def get(self, name: str) -> Lab:
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
        self._current = (name, Lab(system))
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


def test_every_alarm_of_the_template_has_a_local_provocation() -> None:
    assert len(ALARM_IDS) >= 9
    missing = sorted(set(ALARM_IDS) - set(PROVOCATIONS))
    assert not missing, f"alarms without a local provocation in tests/e2e/alarm_provocations.py: {missing}"
    assert not sorted(set(PROVOCATIONS) - set(ALARM_IDS)), "provocations of alarms the template no longer has"


def _expected_route(lab: Lab, alarm_id: str) -> tuple[str, list[str]]:
    """The channel and recipients of the alarm's notification, from the template's subscriptions of its topic."""
    model = lab.system.model
    (topic,) = lab.alarm(alarm_id).declared.alarm_actions
    subscriptions = [s for s in model.subscriptions if s.topic == topic]
    notifiers = [s.function for s in subscriptions if s.function is not None]
    if notifiers:
        recipients = model.functions[notifiers[0]].environment[catalog.ALERT_RECIPIENTS_ENV]
        return "ses", recipients.split(",")
    return "sns-email", sorted(s.endpoint for s in subscriptions if s.protocol == "email")


@pytest.mark.parametrize("alarm_id", ALARM_IDS)
def test_the_alarm_fires_on_its_fault_and_notifies_its_route(alarm_id: str, labs: Labs) -> None:
    # Given the local system this alarm's fault is provoked on
    provocation = PROVOCATIONS.get(alarm_id)
    if provocation is None:
        pytest.fail(f"{alarm_id} has no local provocation: add one to tests/e2e/alarm_provocations.py")
    lab = labs.get(provocation.system)
    # When its fault is provoked (once per scenario, for every alarm it fires) and then removed
    if provocation.scenario.__name__ not in lab.done:
        lab.done.add(provocation.scenario.__name__)
        provocation.scenario(lab)
    outcome = lab.outcomes[alarm_id]
    # Then the alarm went to ALARM and its notification reached its route's channel and recipients
    assert outcome.fired, f"{alarm_id} did not fire; history: {lab.alarm(alarm_id).history}"
    channel, recipients = _expected_route(lab, alarm_id)
    assert outcome.alarm_email is not None, f"no ALARM notification of {alarm_id}: {lab.system.outbox()}"
    assert outcome.alarm_email.channel == channel
    assert sorted(outcome.alarm_email.recipients) == sorted(recipients)
    # And, where it resolves locally, it went back to OK and that was notified on the same route
    if provocation.resolves:
        assert outcome.resolved, f"{alarm_id} did not resolve; history: {lab.alarm(alarm_id).history}"
        assert outcome.resolved_email is not None, f"no OK notification of {alarm_id}"
        assert outcome.resolved_email.channel == channel
    print(f"{alarm_id}: scenario took {outcome.seconds:.1f} s")
