"""The dashboard picture reads at a glance: values side by side, Markdown rendered, a time axis, no colliding text."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.unit.dashboard.svg_text import overlapping, text_boxes
from tools.dashboard.render import MetricRef, render_svg

START = calendar.timegm((2026, 11, 21, 0, 0, 0))
REPO = Path(__file__).resolve().parents[3]


class Day:
    """A day of data: every metric at its own constant value (by name), and fixed log rows."""

    def __init__(self, values: Mapping[str, float], rows: Sequence[Mapping[str, str]] = ()) -> None:
        self.values, self.rows = values, rows

    def window(self) -> tuple[float, float]:
        return float(START), float(START + 86400)

    def series(self, metric: MetricRef) -> Sequence[float]:
        return [self.values.get(metric.name, 0.0)] * (86400 // metric.period_seconds)

    def alarm_state(self, alarm_arn: str) -> str:
        return "OK"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        return self.rows


def _metric(name: str, label: str) -> list[Any]:
    return ["Site", name, "service", "counter", {"label": label, "stat": "Sum"}]


def _widget(kind: str, x: int, y: int, w: int, h: int, **properties: Any) -> dict[str, Any]:
    return {"type": kind, "x": x, "y": y, "width": w, "height": h, "properties": properties}


def _texts(svg: str, *, starting: str = "") -> list[str]:
    return [box.text for box in text_boxes(svg) if box.text.startswith(starting)]


def test_single_values_sit_side_by_side_each_under_its_label() -> None:
    body = {
        "widgets": [
            _widget(
                "metric",
                0,
                0,
                6,
                6,
                title="Visits in the period",
                view="singleValue",
                setPeriodToTimeRange=True,
                metrics=[
                    _metric("Visits", "Views"),
                    _metric("Unique", "Unique visitors"),
                    _metric("Ignored", "Ignored"),
                ],
            )
        ]
    }
    svg = render_svg(body, Day({"Visits": 2, "Unique": 1, "Ignored": 0.5}), "d")
    boxes = {box.text: box for box in text_boxes(svg)}
    # The whole day's sums: 288 five-minute periods
    figures = [boxes["576"], boxes["288"], boxes["144"]]
    assert figures[0].right <= figures[1].left
    assert figures[1].right <= figures[2].left
    assert len({round(f.bottom) for f in figures}) == 1  # one baseline
    assert boxes["Views"].bottom <= figures[0].top
    assert overlapping(svg) == []


def test_markdown_is_rendered_with_its_link() -> None:
    markdown = (
        "# Site operations\n"
        "Every alarm has a section in the [runbook](https://github.com/o/r/blob/main/docs/runbook.md): what it means."
    )
    svg = render_svg({"widgets": [_widget("text", 0, 0, 24, 3, markdown=markdown)]}, Day({}), "d")
    assert "Site operations" in _texts(svg)
    assert "Every alarm has a section in the runbook: what it means." in _texts(svg)
    assert not [text for text in _texts(svg) if "#" in text or "](" in text]
    assert '<a href="https://github.com/o/r/blob/main/docs/runbook.md">' in svg


def test_graphs_have_a_time_axis_and_legends_and_thresholds_that_do_not_collide() -> None:
    long = "a label far longer than the widget is wide, so it has to be clipped somewhere"
    thresholds = [{"label": f"Errors >= {v} for 2 datapoints within 15 minutes", "value": v} for v in (1, 1, 2, 5)]
    body = {
        "widgets": [
            _widget(
                "metric",
                0,
                0,
                6,
                6,
                title="A title that is much too long for a narrow graph widget to hold",
                view="timeSeries",
                annotations={"horizontal": thresholds},
                metrics=[_metric(f"M{i}", long if i == 0 else f"metric {i}") for i in range(6)],
            )
        ]
    }
    svg = render_svg(body, Day({"M1": 3}), "d")
    assert {"06:00", "12:00", "18:00"} <= set(_texts(svg))
    assert any(text.endswith("…") and text.startswith("a label far") for text in _texts(svg))
    assert len(_texts(svg, starting="Errors >=")) == 4  # every threshold in the legend
    assert overlapping(svg) == []


def test_log_tables_show_their_rows_and_say_how_many_more() -> None:
    rows = [{"@timestamp": f"2026-11-21 10:{m:02d}:00", "message": "visit store unavailable"} for m in range(30)]
    body = {
        "widgets": [_widget("log", 0, 0, 12, 6, title="Latest errors", query="SOURCE 'g' | fields @timestamp, message")]
    }
    svg = render_svg(body, Day({}, rows), "d")
    shown = _texts(svg, starting="2026-11-21 10:")
    assert 5 <= len(shown) < 30
    assert f"… {30 - len(shown)} more rows" in _texts(svg)
    assert overlapping(svg) == []


def test_the_readme_picture_reads_at_a_glance() -> None:
    # docs/dashboard.svg is `make dashboard`'s output for the current definition (tests/infra/test_dashboard.py)
    svg = (REPO / "docs" / "dashboard.svg").read_text()
    assert overlapping(svg) == []
    texts = _texts(svg)
    assert ">runbook</tspan></a>" in svg
    assert not [t for t in texts if "](" in t or t.startswith("#")]
    # A working site: the probe's table is empty, nothing in the latest errors; cold starts are listed
    assert texts.count("No log lines in this period match the query.") == 2
    assert any(t.startswith("2026-11-21 18:00:00") for t in texts)  # the spike's hour has its cold starts
    assert {"03:00", "12:00", "21:00"} <= set(texts)
