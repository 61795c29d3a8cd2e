"""Text in the dashboard picture: its estimated size, clipping, wrapping, and the Markdown its header widget uses.

SVG has no text layout, so every label is measured with one conservative per-character width (Helvetica's widest
common glyphs are about 0.6 em) and clipped or wrapped to fit; the picture's overlap test uses the same estimate.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final

CHAR_EM: Final = 0.6
"""Estimated width of one character, in em (font sizes); conservative for Helvetica/Arial and monospace."""
LINE_EM: Final = 1.25
"""Baseline-to-baseline distance, in em."""
HEADING_SIZE: Final = 16.0


def width(text: str, size: float) -> float:
    return len(text) * size * CHAR_EM


def clip(text: str, room: float, size: float) -> str:
    """`text`, cut with an ellipsis to fit `room` pixels at font size `size`."""
    fits = max(int(room / (size * CHAR_EM)), 1)
    return text if len(text) <= fits else text[: max(fits - 1, 0)] + "…"


def wrap(text: str, room: float, size: float, *, max_lines: int) -> list[str]:
    """Plain text in at most `max_lines` lines of `room` pixels; the last one clipped if more remains."""
    lines = ["".join(run.text for run in line).strip() for line in _wrap([Run(text)], room, size)]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], clip(" ".join(lines[max_lines - 1 :]), room, size)]
    return lines


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Run:
    """A piece of a line: plain text, or a link to `href`."""

    text: str
    href: str = ""


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    size: float
    bold: bool = False


_LINK: Final = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)")


def markdown_lines(markdown: str, room: float, size: float = 12.0) -> list[Line]:
    """The Markdown the dashboard's text widget uses — `#` headings, paragraphs with [links](url) — wrapped to `room`
    pixels. Anything else shows as written."""
    lines: list[Line] = []
    for source in markdown.splitlines():
        stripped = source.strip()
        if heading := re.fullmatch(r"#\s+(.*)", stripped):
            lines += [
                Line(tuple(runs), HEADING_SIZE, bold=True) for runs in _wrap([Run(heading[1])], room, HEADING_SIZE)
            ]
        elif stripped:
            lines += [Line(tuple(runs), size) for runs in _wrap(_links(stripped), room, size)]
    return lines


def _links(text: str) -> list[Run]:
    runs, at = [], 0
    for match in _LINK.finditer(text):
        runs += [Run(text[at : match.start()]), Run(match["text"], match["href"])]
        at = match.end()
    return [run for run in [*runs, Run(text[at:])] if run.text]


def _wrap(runs: list[Run], room: float, size: float) -> list[list[Run]]:
    """Greedy word wrap across runs; a word longer than a line is clipped."""
    lines: list[list[Run]] = [[]]
    used = 0.0
    for run in runs:
        for word in re.findall(r"\S+\s*", run.text) or [run.text]:
            needed = width(word.rstrip(), size)
            if used and used + needed > room:
                lines.append([])
                used = 0.0
            piece = Run(clip(word, room, size) if needed > room else word, run.href)
            lines[-1].append(piece)
            used += width(piece.text, size)
    return [line for line in lines if line]


def svg_line(line: Line, x: float, y: float) -> str:
    """One wrapped line as an SVG <text> with a <tspan> per run; links are SVG <a> elements."""
    spans = [
        f'<a href="{esc(run.href)}"><tspan fill="#0073bb" text-decoration="underline">{esc(run.text)}</tspan></a>'
        if run.href
        else f"<tspan>{esc(run.text)}</tspan>"
        for run in line.runs
    ]
    weight = ' font-weight="bold"' if line.bold else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{line.size:g}"{weight}>{"".join(spans)}</text>'
