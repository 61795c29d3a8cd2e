"""The availability probe and the throttle guard agree, on the real local system: a request spike held under the
guard for more than two probe intervals fires no `site-unavailable` (the probe's GET /visits answered 429 by the
throttle is the API working as configured, not the site failing), and a stopped site still fires it.

The spike and the stopped site are the drill's (tools/local/drills/provocations.py), on the spike scenario's
system config (tests/support/alarm_scenarios.py), at the e2e scale (5-minute periods and probe intervals become 3 s).
Bounded: every wait ends by its own timeout; nothing asserts how long a step took.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.common import catalog
from infra.monitoring.http_api import API_REQUEST_SPIKE_ALARM
from infra.monitoring.probe import SITE_UNAVAILABLE_ALARM
from tests.support.alarm_scenarios import PERIOD_SCALE, SYSTEM_CONFIGS
from tests.support.ports import free_port_base
from tools.local.drills.provocations import Lab, request_spike, site_down
from tools.local.system import LocalSystem, Ports

pytestmark = pytest.mark.e2e

PROBE_INTERVALS_HELD = 4
"""Probe intervals the spike is held under the guard: site-unavailable needs two failed probes in a row."""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    system = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("guard")),
        reset=True,
        period_scale=PERIOD_SCALE,
        config_overrides=SYSTEM_CONFIGS["spike"],
    )
    system.start()
    yield Lab(system)
    system.stop()


def _probe_interval_seconds(lab: Lab) -> float:
    (schedule,) = lab.system.model.schedules_of(lab.system.model.function(catalog.PROBE_HANDLER).logical_id)
    assert schedule.interval_seconds is not None, schedule.expression
    return schedule.interval_seconds * lab.system.period_scale


def _probe_log(lab: Lab) -> list[dict[str, Any]]:
    probe = lab.system.model.function(catalog.PROBE_HANDLER)
    lines = lab.system.runtime.function(probe.logical_id).log_path.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [record for record in records if isinstance(record, dict)]


def test_a_spike_held_under_the_guard_fires_no_site_unavailable_and_a_stopped_site_still_does(lab: Lab) -> None:
    site_unavailable = lab.alarm(SITE_UNAVAILABLE_ALARM)
    history_before = len(site_unavailable.history)
    probe_lines_before = len(_probe_log(lab))

    # Given a request spike that engages the throttle guard, held under it for several probe intervals
    request_spike(lab, guarded_seconds=PROBE_INTERVALS_HELD * _probe_interval_seconds(lab))
    spike = lab.outcomes[API_REQUEST_SPIKE_ALARM]
    assert spike.guard is not None
    assert spike.guard.guarded is not None, "the guard never engaged"
    assert spike.guard.while_guarded.get(429, 0) > 0, spike.guard.while_guarded

    # Then the probe ran meanwhile and saw the throttle, and logged it as throttled, never as a failed check
    during = _probe_log(lab)[probe_lines_before:]
    throttled = [r for r in during if r.get(catalog.PROBE_THROTTLED_LOG_KEY)]
    assert throttled, "no probe run met the guard's throttle"
    assert {r[catalog.PROBE_THROTTLED_LOG_KEY] for r in throttled} <= {
        catalog.PROBE_CHECK_CORS_PREFLIGHT,
        catalog.PROBE_CHECK_VISITS_READ,
    }
    assert [r for r in during if catalog.PROBE_CHECK_LOG_KEY in r] == []
    # And site-unavailable never went into ALARM (so nothing was sent to the owner about it)
    assert [change for change in site_unavailable.history[history_before:] if change[2] == "ALARM"] == []

    # When the site itself stops
    site_down(lab)
    # Then site-unavailable still fires, and emails the owner
    outcome = lab.outcomes[SITE_UNAVAILABLE_ALARM]
    assert outcome.fired
    assert outcome.alarm_email is not None
