"""A CloudWatch dashboard body (the JSON CloudWatch receives) read from the synthesized template, and its picture,
drawn from the body with data from a `DataSource` (synthetic for the docs, live for `make dev`): same body and data,
same bytes. Labels are measured with text.py's estimate and clipped, wrapped or left out so that none collide.
NOTE: widget fields as https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
defines them: a metric widget's `view` is `timeSeries` or `singleValue`; a single value shows each metric's latest
value, or its statistic over the whole time range with `setPeriodToTimeRange`; `annotations.horizontal` are
threshold lines with a label; a log widget's `query` starts with `SOURCE '<group>' |`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from stack_model.stack import StackModel
from tools.dashboard.logs_insights import parse
from tools.dashboard.text import LINE_EM, clip, esc, markdown_lines, svg_line, width, wrap

GRID_COLUMNS: Final = 24
COLUMN_PX: Final = 50
ROW_PX: Final = 40
GAP_PX: Final = 8
PAD: Final = 10
TITLE_SIZE: Final = 13
SMALL: Final = 10
PALETTE: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
STATE_COLOURS: Final = {"ALARM": "#d13212", "OK": "#1d8102", "INSUFFICIENT_DATA": "#8d99a8"}
THRESHOLD_COLOUR: Final = "#d13212"
TICK_SECONDS: Final = (10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class MetricRef:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    period_seconds: int
    label: str


class DataSource(Protocol):
    def window(self) -> tuple[float, float]:
        """The dashboard's time range: start and end, epoch seconds."""
        ...

    def series(self, metric: MetricRef) -> Sequence[float]:
        """Values of the metric, oldest first, one per period of the metric across the window."""
        ...

    def alarm_state(self, alarm_arn: str) -> str: ...

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        """The Logs Insights query's result rows over the window (logs_insights.py)."""
        ...


def dashboard_bodies(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every dashboard in the template: its name → its parsed body."""
    return {dashboard.name: dict(dashboard.body) for dashboard in StackModel.from_template(template).dashboards}


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def metric_refs(widget: Mapping[str, Any]) -> list[MetricRef]:
    """The metrics of a metric widget, from CloudWatch's array form [ns, name, dim, value, ..., {options}]."""
    properties = widget["properties"]
    refs = []
    for entry in properties.get("metrics", []):
        options = entry[-1] if entry and isinstance(entry[-1], dict) else {}
        fields = entry[:-1] if options else entry
        namespace, name, *dimension_fields = fields
        dimensions = tuple(zip(dimension_fields[::2], dimension_fields[1::2], strict=True))
        refs.append(
            MetricRef(
                namespace=namespace,
                name=name,
                dimensions=dimensions,
                statistic=options.get("stat", properties.get("stat", "Average")),
                period_seconds=int(options.get("period", properties.get("period", 300))),
                label=options.get("label", name),
            )
        )
    return refs


def render_svg(body: Mapping[str, Any], data: DataSource, title: str) -> str:
    widgets = body["widgets"]
    height = max(w["y"] + w["height"] for w in widgets) * ROW_PX + 60
    total_width = GRID_COLUMNS * COLUMN_PX
    start, end = data.window()
    heading = f"{title} · {_when(start, end)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{height}" '
        f'viewBox="0 0 {total_width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{total_width}" height="{height}" fill="#f2f3f3"/>',
        f'<text x="{PAD}" y="30" font-size="18" font-weight="bold">{esc(clip(heading, total_width - 20, 18))}</text>',
    ]
    for widget in widgets:
        x, y = widget["x"] * COLUMN_PX, widget["y"] * ROW_PX + 50
        w, h = widget["width"] * COLUMN_PX - GAP_PX, widget["height"] * ROW_PX - GAP_PX
        parts.append(f'<g transform="translate({x + GAP_PX / 2},{y})">')
        parts.append(f'<rect width="{w}" height="{h}" fill="#ffffff" stroke="#d5dbdb" rx="4"/>')
        parts.extend(_WIDGETS[widget["type"]](widget, data, w, h))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _when(start: float, end: float) -> str:
    def stamp(moment: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(moment))

    return f"{stamp(start)} to {stamp(end)} UTC"


def _text(x: float, y: float, text: str, size: float = 12, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"{extra}>{esc(text)}</text>'


def _title(text: str, w: float) -> str:
    return _text(PAD, 20, clip(text, w - 2 * PAD, TITLE_SIZE), TITLE_SIZE, ' font-weight="bold"')


def _text_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    out, y = [], float(PAD)
    for line in markdown_lines(widget["properties"]["markdown"], w - 2 * PAD):
        y += line.size * LINE_EM
        if y > h - 4:
            break
        out.append(svg_line(line, PAD, y))
    return out


def _alarm_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    out = [_title(properties.get("title", "Alarms"), w)]
    columns = max(1, int((w - 2 * PAD) // 320))
    column_width = (w - 2 * PAD) / columns
    for index, arn in enumerate(properties["alarms"]):
        state = data.alarm_state(arn)
        cx, cy = PAD + (index % columns) * column_width, 42 + (index // columns) * 18
        if cy > h - 6:
            break
        out.append(f'<circle cx="{cx + 5:.1f}" cy="{cy - 4}" r="5" fill="{STATE_COLOURS.get(state, "#8d99a8")}"/>')
        label = f"{arn.rsplit(':', 1)[-1]} — {state}"
        out.append(_text(cx + 15, cy, clip(label, column_width - 25, 12)))
    return out


def _metric_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    refs = metric_refs(widget)
    out = [_title(properties.get("title", ""), w)]
    if properties.get("view") == "singleValue":
        return out + _single_values(refs, data, w, h, whole_range=bool(properties.get("setPeriodToTimeRange")))
    return out + _graph(refs, properties.get("annotations", {}).get("horizontal", []), data, w, h)


def _single_values(refs: Sequence[MetricRef], data: DataSource, w: float, h: float, *, whole_range: bool) -> list[str]:
    """Side by side as CloudWatch lays them out, each label above its value; more rows when the widget is narrow."""
    per_row = max(1, min(len(refs), int((w - 2 * PAD) // 80)))
    rows = math.ceil(len(refs) / per_row)
    cell_w, cell_h = (w - 2 * PAD) / per_row, (h - 34) / rows
    figures = []
    for ref in refs:
        values = list(data.series(ref))
        shown = _over_range(values, ref.statistic) if whole_range else (values[-1] if values else None)
        figures.append("—" if shown is None else _number(shown))
    labels = [wrap(ref.label, cell_w - 8, 11, max_lines=2) for ref in refs]
    label_lines = max(len(label) for label in labels)
    size = min(32.0, (cell_h - 22 - 13 * label_lines) * 0.8, (cell_w - 8) / (max(map(len, figures)) * 0.6))
    out = []
    for index, (label, figure) in enumerate(zip(labels, figures, strict=True)):
        cx = PAD + (index % per_row + 0.5) * cell_w
        top = 34 + (index // per_row) * cell_h
        for li, part in enumerate(label):
            out.append(_text(cx, top + 14 + li * 13, part, 11, ' text-anchor="middle" fill="#545b64"'))
        out.append(_text(cx, top + 22 + 13 * label_lines + size * 0.8, figure, size, ' text-anchor="middle"'))
    return out


def _over_range(values: Sequence[float], statistic: str) -> float | None:
    if not values:
        return None
    if statistic in {"Sum", "SampleCount"}:
        return sum(values)
    return {"Maximum": max, "Minimum": min}.get(statistic, lambda v: sum(v) / len(v))(values)


def _number(value: float) -> str:
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _graph(
    refs: Sequence[MetricRef], annotations: Sequence[Mapping[str, Any]], data: DataSource, w: float, h: float
) -> list[str]:
    """Lines over a time axis; threshold lines dashed, their labels in the legend and their values on the y axis."""
    series = [list(data.series(ref)) for ref in refs]
    legend = [(PALETTE[i % len(PALETTE)], ref.label, False) for i, ref in enumerate(refs)]
    legend += [(THRESHOLD_COLOUR, str(a.get("label", a["value"])), True) for a in annotations]
    legend_out, legend_h = _legend(legend, w, h)
    thresholds = [float(a["value"]) for a in annotations]
    top_value, step = _nice_axis(max([max(s, default=0.0) for s in series] + thresholds + [1.0]))
    ticks = [(f"{step * i:,.10g}", step * i, False) for i in range(round(top_value / step) + 1)]
    ticks = [(f"{t:,.10g}", t, True) for t in thresholds] + ticks
    left = PAD + max(width(label, SMALL) for label, _, _ in ticks) + 6
    top, right, bottom = 36.0, w - PAD, h - 8 - legend_h - 16
    out = [*legend_out]

    def y_of(value: float) -> float:
        return bottom - value / top_value * (bottom - top)

    placed: list[tuple[float, float]] = []
    for label, value, threshold in ticks:
        ty = y_of(value)
        if any(abs(ty - other) < SMALL + 2 for other, _ in placed):
            continue  # a colliding tick label is left out; a threshold's value is also in its legend entry
        placed.append((ty, value))
        colour = THRESHOLD_COLOUR if threshold else "#545b64"
        out.append(_text(left - 4, ty + 3.5, label, SMALL, f' text-anchor="end" fill="{colour}"'))
        if not threshold:
            out.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}" stroke="#eaeded"/>')
    out.extend(_time_axis(data.window(), left, right, bottom))
    for index, values in enumerate(series):
        if len(values) < 2:
            continue
        points = " ".join(f"{left + i / len(values) * (right - left):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[index % len(PALETTE)]}" stroke-width="1.5"/>'
        )
    for value in thresholds:
        ay = y_of(value)
        out.append(
            f'<line x1="{left}" y1="{ay:.1f}" x2="{right}" y2="{ay:.1f}" stroke="{THRESHOLD_COLOUR}" '
            'stroke-dasharray="4 3"/>'
        )
    return out


def _nice_axis(peak: float) -> tuple[float, float]:
    """The axis top (a round number above `peak`, with 10 % headroom) and its tick step (3 to 5 ticks)."""
    raw = peak * 1.1 / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(peak * 1.1 / step), step


def _time_axis(window: tuple[float, float], left: float, right: float, bottom: float) -> list[str]:
    """Tick labels at round UTC times, as many as fit without touching each other."""
    start, end = window
    span = end - start
    label_w = width("00:00:00", SMALL) + 12
    room = max(1, int((right - left) / label_w))
    step = next((s for s in TICK_SECONDS if span / s <= room), TICK_SECONDS[-1])
    pattern = "%H:%M:%S" if step < 60 else "%H:%M"  # a window of at most a day
    out = [f'<line x1="{left}" y1="{bottom:.1f}" x2="{right}" y2="{bottom:.1f}" stroke="#aab7b8"/>']
    tick = math.ceil(start / step) * step
    while tick <= end:
        tx = left + (tick - start) / span * (right - left)
        label = time.strftime(pattern, time.gmtime(tick))
        if left <= tx - width(label, SMALL) / 2 and tx + width(label, SMALL) / 2 <= right + PAD:
            out.append(f'<line x1="{tx:.1f}" y1="{bottom:.1f}" x2="{tx:.1f}" y2="{bottom + 3:.1f}" stroke="#aab7b8"/>')
            out.append(_text(tx, bottom + 14, label, SMALL, ' text-anchor="middle" fill="#545b64"'))
        tick += step
    return out


def _legend(entries: Sequence[tuple[str, str, bool]], w: float, h: float) -> tuple[list[str], float]:
    """Entries flowed left to right in rows under the graph, each label clipped to the widget's width."""
    rows: list[list[tuple[str, str, bool, float]]] = [[]]
    used = 0.0
    for colour, label, dashed in entries:
        text = clip(label, w - 2 * PAD - 14, SMALL)
        needed = 14 + width(text, SMALL) + 12
        if used and used + needed > w - 2 * PAD:
            rows.append([])
            used = 0.0
        rows[-1].append((colour, text, dashed, PAD + used))
        used += needed
    out = []
    for index, row in enumerate(rows):
        ly = h - 8 - (len(rows) - 1 - index) * 14
        for colour, text, dashed, lx in row:
            swatch = (
                f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 10:.1f}" y2="{ly - 4}" stroke="{colour}" '
                'stroke-dasharray="3 2" stroke-width="2"/>'
                if dashed
                else f'<rect x="{lx:.1f}" y="{ly - 8}" width="9" height="9" fill="{colour}"/>'
            )
            out.append(swatch)
            out.append(_text(lx + 14, ly, text, SMALL))
    return out, len(rows) * 14.0


def _log_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    out = [_title(properties.get("title", "Logs Insights"), w)]
    rows = data.log_rows(properties["query"])
    columns = list(rows[0]) if rows else list(parse(properties["query"]).columns)
    widths = _column_widths(columns, rows, w - 2 * PAD)
    xs = [PAD + sum(widths[:i]) for i in range(len(columns))]
    for x, column, room in zip(xs, columns, widths, strict=True):
        out.append(_text(x, 42, clip(column, room - 8, 11), 11, ' font-weight="bold"'))
    fit = int((h - 50) // 16)
    if not rows:
        out.append(_text(PAD, 62, "No log lines in this period match the query.", 11, ' fill="#545b64"'))
    shown = rows if len(rows) <= fit else rows[: fit - 1]
    for ri, row in enumerate(shown):
        for x, column, room in zip(xs, columns, widths, strict=True):
            out.append(_text(x, 60 + ri * 16, clip(str(row.get(column, "")), room - 8, 11), 11))
    if len(shown) < len(rows):
        out.append(_text(PAD, 60 + len(shown) * 16, f"… {len(rows) - len(shown)} more rows", 11, ' fill="#545b64"'))
    return out


def _column_widths(columns: Sequence[str], rows: Sequence[Mapping[str, str]], room: float) -> list[float]:
    """Each column as wide as its longest text needs, all scaled together to fill the widget."""
    wanted = [max([width(c, 11)] + [width(str(r.get(c, "")), 11) for r in rows]) + 12 for c in columns]
    return [x * room / sum(wanted) for x in wanted]


_WIDGETS: Final[Mapping[str, Callable[[Mapping[str, Any], DataSource, float, float], list[str]]]] = {
    "text": _text_widget,
    "alarm": _alarm_widget,
    "metric": _metric_widget,
    "log": _log_widget,
}
