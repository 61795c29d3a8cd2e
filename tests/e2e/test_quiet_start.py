"""A fresh local system sends the owner nothing until something happens: new alarms going from INSUFFICIENT_DATA to
OK are not news (issue #21), neither by the notifier nor by the alerting-health topic's plain email."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tools.local.system import LocalSystem

pytestmark = pytest.mark.e2e

EVALUATIONS = 3


def _channels_after_first_evaluations(system: LocalSystem) -> dict[str, list[dict[str, Any]]]:
    for _ in range(EVALUATIONS):
        system.alarm_watch.evaluate()
    channels: dict[str, list[dict[str, Any]]] = requests.get(f"{system.console_url}/api/channels", timeout=10).json()
    return channels


def test_the_alerting_health_alarms_first_ok_sends_no_plain_email(local_system: LocalSystem) -> None:
    # Given a fresh local system; When its alarms are evaluated a few times
    channels = _channels_after_first_evaluations(local_system)
    # Then the alerting-health alarms (plain SNS email) went from INSUFFICIENT_DATA to OK
    plain_email_topics = {s.topic for s in local_system.model.subscriptions if s.protocol == "email"}
    health = [a for a in local_system.evaluator.alarms if set(a.declared.ok_actions) & plain_email_topics]
    assert health
    assert all(("INSUFFICIENT_DATA", "OK") in [(old, new) for _, old, new in a.history] for a in health)
    # And no plain email went out for it (on AWS the subscription awaits the owner's confirmation then)
    assert [sent["subject"] for sent in channels["email"] if sent["channel"] == "sns-email"] == []


def test_a_fresh_systems_outbox_is_empty_after_its_first_evaluations(local_system: LocalSystem) -> None:
    # Given a fresh local system; When its alarms are evaluated a few times
    channels = _channels_after_first_evaluations(local_system)
    # Then no channel received anything: email, Slack and the webhook are empty
    assert channels == {"email": [], "slack": [], "webhook": []}
