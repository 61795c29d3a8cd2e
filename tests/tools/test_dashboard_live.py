"""`make dev`'s live dashboard after traffic: the visits counted, the counter's cold start in its Logs Insights
table, read from the local function's log lines, and no text drawn over other text."""

from __future__ import annotations

import time

import pytest
import requests

from tests.unit.dashboard.svg_text import overlapping, text_boxes
from tools.local.system import LocalSystem

pytestmark = pytest.mark.e2e

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_the_live_dashboard_shows_the_visits_and_the_counters_cold_start(local_system: LocalSystem) -> None:
    # Given three visitors on the site (the counter's first invocation is its container's cold start)
    hours = {time.strftime("%Y-%m-%d %H:00:00", time.gmtime())}
    for visitor in range(3):
        headers = {"user-agent": f"{FIREFOX} dashboard/{visitor}", "content-type": "text/plain"}
        answer = requests.post(f"{local_system.api_url}/visits", headers=headers, data="{}", timeout=10)
        assert answer.status_code == 200, answer.text
    hours.add(time.strftime("%Y-%m-%d %H:00:00", time.gmtime()))

    # When the owner opens the live dashboard
    svg = requests.get(local_system.console_url + "/dashboard.svg", timeout=30).text
    (local_system.state_dir / "dashboard.svg").write_text(svg)  # to look at when this fails

    # Then the visits are in the period's numbers, under their label
    boxes = text_boxes(svg)
    under_views = [
        [
            b.text
            for b in boxes
            if 0 <= b.top - views.bottom < 60 and abs(b.left + b.right - views.left - views.right) < 2
        ]
        for views in boxes
        if views.text == "Views"
    ]
    assert ["3"] in under_views, under_views  # the single value (not the graph's legend entry of the same name)
    # And the cold starts table has this hour's row, counted from the counter's own log line
    texts = [box.text for box in boxes]
    row = next(i for i, text in enumerate(texts) if text in hours)
    assert int(texts[row + 1]) >= 1
    # And no label is drawn over another
    assert overlapping(svg) == []
