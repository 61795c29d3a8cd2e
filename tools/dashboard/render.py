"""A CloudWatch dashboard body (the JSON CloudWatch receives) read from the synthesized template, and its picture.

The body's references are resolved to logical ids, so it is plain, deterministic JSON. The picture is drawn from it
(widget grid, titles, metric lines, threshold annotations, alarm list, log queries) with data from a `DataSource`:
synthetic for the docs, the local system's live metrics for `make dev`. Same body and data give the same bytes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from stack_model.stack import StackModel

GRID_COLUMNS: Final = 24
COLUMN_PX: Final = 50
ROW_PX: Final = 40
GAP_PX: Final = 8
PALETTE: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
STATE_COLOURS: Final = {"ALARM": "#d13212", "OK": "#1d8102", "INSUFFICIENT_DATA": "#8d99a8"}


@dataclass(frozen=True)
class MetricRef:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    period_seconds: int
    label: str


class DataSource(Protocol):
    def series(self, metric: MetricRef) -> Sequence[float]:
        """Values of the metric, oldest first, one per period of the picture."""
        ...

    def alarm_state(self, alarm_arn: str) -> str: ...

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]: ...


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
        if len(fields) < 2:
            continue  # a math expression: drawn by CloudWatch, not here
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
    width = GRID_COLUMNS * COLUMN_PX
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#f2f3f3"/>',
        f'<text x="10" y="30" font-size="18" font-weight="bold">{_esc(title)}</text>',
    ]
    for widget in widgets:
        x, y = widget["x"] * COLUMN_PX, widget["y"] * ROW_PX + 50
        w, h = widget["width"] * COLUMN_PX - GAP_PX, widget["height"] * ROW_PX - GAP_PX
        parts.append(f'<g transform="translate({x + GAP_PX / 2},{y})">')
        parts.append(f'<rect width="{w}" height="{h}" fill="#ffffff" stroke="#d5dbdb" rx="4"/>')
        parts.extend(_WIDGETS.get(widget["type"], _unknown)(widget, data, w, h))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _title(text: str) -> str:
    return f'<text x="10" y="20" font-weight="bold" font-size="13">{_esc(text)}</text>'


def _text_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    lines = [line.lstrip("# ").strip() for line in widget["properties"]["markdown"].splitlines() if line.strip()]
    out = []
    for index, line in enumerate(lines[: int(h // 18)]):
        weight = ' font-weight="bold" font-size="15"' if index == 0 else ""
        out.append(f'<text x="10" y="{22 + 18 * index}"{weight}>{_esc(_clip(line, int(w / 6.5)))}</text>')
    return out


def _alarm_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    out = [_title(properties.get("title", "Alarms"))]
    alarms = properties["alarms"]
    columns = 3
    for index, arn in enumerate(alarms):
        state = data.alarm_state(arn)
        col, row = index % columns, index // columns
        cx, cy = 10 + col * (w - 20) / columns, 40 + row * 18
        out.append(f'<circle cx="{cx + 5:.1f}" cy="{cy - 4}" r="5" fill="{STATE_COLOURS.get(state, "#8d99a8")}"/>')
        out.append(f'<text x="{cx + 15:.1f}" y="{cy}">{_esc(arn.rsplit(":", 1)[-1])} — {state}</text>')
    return out


def _metric_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    refs = metric_refs(widget)
    out = [_title(properties.get("title", ""))]
    if properties.get("view") == "singleValue":
        for index, ref in enumerate(refs):
            total = sum(data.series(ref))
            out.append(
                f'<text x="{w / 2:.1f}" y="{h / 2 + 20:.1f}" font-size="40" text-anchor="middle">{total:,.0f}</text>'
            )
            out.append(
                f'<text x="{w / 2:.1f}" y="{h / 2 + 45 + 16 * index:.1f}" text-anchor="middle">{_esc(ref.label)}</text>'
            )
        return out
    series = [list(data.series(ref)) for ref in refs]
    annotations = properties.get("annotations", {}).get("horizontal", [])
    peak = max([max(s, default=0.0) for s in series] + [float(a["value"]) for a in annotations] + [1.0]) * 1.1
    left, top, right, bottom = 40.0, 30.0, w - 10, h - 30
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#aab7b8"/>')
    out.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{peak:,.0f}</text>')
    out.append(f'<text x="{left - 4}" y="{bottom}" text-anchor="end" font-size="10">0</text>')
    for index, values in enumerate(series):
        if len(values) < 2:
            continue
        step = (right - left) / (len(values) - 1)
        points = " ".join(
            f"{left + i * step:.1f},{bottom - (v / peak) * (bottom - top):.1f}" for i, v in enumerate(values)
        )
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[index % len(PALETTE)]}" stroke-width="1.5"/>'
        )
    for annotation in annotations:
        ay = bottom - (float(annotation["value"]) / peak) * (bottom - top)
        out.append(
            f'<line x1="{left}" y1="{ay:.1f}" x2="{right}" y2="{ay:.1f}" stroke="#d13212" stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{right}" y="{ay - 3:.1f}" text-anchor="end" font-size="10" fill="#d13212">'
            f"{_esc(annotation.get('label', ''))}</text>"
        )
    for index, ref in enumerate(refs):
        lx = left + index * (right - left) / max(len(refs), 1)
        out.append(f'<rect x="{lx:.1f}" y="{h - 14}" width="8" height="8" fill="{PALETTE[index % len(PALETTE)]}"/>')
        out.append(f'<text x="{lx + 11:.1f}" y="{h - 6}" font-size="10">{_esc(_clip(ref.label, 24))}</text>')
    return out


def _log_widget(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    properties = widget["properties"]
    query = properties["query"]
    out = [_title(properties.get("title", "Logs Insights"))]
    rows = data.log_rows(query)
    if not rows:
        shown = query.split("|", 1)[-1].replace("\n", " ")
        out.append(f'<text x="10" y="42" fill="#545b64">{_esc(_clip(shown, int(w / 6.5)))}</text>')
        out.append('<text x="10" y="60" fill="#545b64">(no rows)</text>')
        return out
    columns = list(rows[0])
    for ci, column in enumerate(columns):
        out.append(f'<text x="{10 + ci * (w - 20) / len(columns):.1f}" y="42" font-weight="bold">{_esc(column)}</text>')
    for ri, row in enumerate(rows[: int((h - 60) // 16)]):
        for ci, column in enumerate(columns):
            cell = _clip(str(row.get(column, "")), int((w - 20) / len(columns) / 6.5))
            out.append(f'<text x="{10 + ci * (w - 20) / len(columns):.1f}" y="{60 + ri * 16}">{_esc(cell)}</text>')
    return out


def _unknown(widget: Mapping[str, Any], data: DataSource, w: float, h: float) -> list[str]:
    return [_title(f"{widget['type']} widget")]


_WIDGETS: Final[Mapping[str, Callable[[Mapping[str, Any], DataSource, float, float], list[str]]]] = {
    "text": _text_widget,
    "alarm": _alarm_widget,
    "metric": _metric_widget,
    "log": _log_widget,
}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"
