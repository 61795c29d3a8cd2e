"""Text in the dashboard picture: its estimated size, clipping, wrapping, and the Markdown subset text widgets use.

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
    """A piece of a line in one style: plain, bold, code or a link (href)."""

    text: str
    style: str = ""
    href: str = ""


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    size: float
    indent: float = 0.0
    gap_before: float = 0.0


_INLINE: Final = re.compile(r"\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|\[(?P<link>[^\]]+)\]\((?P<href>[^)\s]+)\)")
_HEADING_SIZES: Final = {1: 16.0, 2: 14.0, 3: 13.0}


def markdown_lines(markdown: str, room: float, size: float = 12.0) -> list[Line]:
    """The Markdown subset a text widget uses — `#`..`###` headings, `-`/`*` list items, paragraphs with
    **bold**, `code` and [links](url) — wrapped to `room` pixels. Anything else shows as written."""
    lines: list[Line] = []
    gap = 0.0
    for source in markdown.splitlines():
        stripped = source.strip()
        if not stripped:
            gap = size * 0.5
            continue
        heading = re.match(r"(#{1,3})\s+(.*)", stripped)
        item = re.match(r"[-*]\s+(.*)", stripped)
        if heading:
            line_size, runs, indent = _HEADING_SIZES[len(heading.group(1))], [Run(heading.group(2), "bold")], 0.0
        elif item:
            line_size, runs, indent = size, [Run("• "), *_inline(item.group(1))], size
        else:
            line_size, runs, indent = size, _inline(stripped), 0.0
        wrapped = _wrap(runs, room - indent, line_size)
        for index, line_runs in enumerate(wrapped):
            first = index == 0
            lines.append(Line(tuple(line_runs), line_size, indent if not first or not item else 0.0, gap * first))
        gap = 0.0
    return lines


def _inline(text: str) -> list[Run]:
    runs, at = [], 0
    for match in _INLINE.finditer(text):
        if match.start() > at:
            runs.append(Run(text[at : match.start()]))
        if match["bold"]:
            runs.append(Run(match["bold"], "bold"))
        elif match["code"]:
            runs.append(Run(match["code"], "code"))
        else:
            runs.append(Run(match["link"], "link", match["href"]))
        at = match.end()
    if at < len(text):
        runs.append(Run(text[at:]))
    return runs


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
            piece = Run(clip(word, room, size) if needed > room else word, run.style, run.href)
            lines[-1].append(piece)
            used += width(piece.text, size)
    return [line for line in lines if line]


def svg_line(line: Line, x: float, y: float) -> str:
    """One wrapped line as an SVG <text> with a <tspan> per run; links are SVG <a> elements."""
    spans = []
    for run in line.runs:
        attributes = {"bold": ' font-weight="bold"', "code": ' font-family="monospace" fill="#545b64"'}.get(
            run.style, ""
        )
        span = f"<tspan{attributes}>{esc(run.text)}</tspan>"
        if run.href:
            link = f'<tspan fill="#0073bb" text-decoration="underline">{esc(run.text)}</tspan>'
            span = f'<a href="{esc(run.href)}">{link}</a>'
        spans.append(span)
    return f'<text x="{x + line.indent:.1f}" y="{y:.1f}" font-size="{line.size:g}">{"".join(spans)}</text>'
