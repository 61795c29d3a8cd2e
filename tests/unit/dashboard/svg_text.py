"""The text boxes of a dashboard picture, estimated as the renderer measures text, to check that none collide."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tools.dashboard.text import CHAR_EM

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Box:
    text: str
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )


def text_boxes(svg: str) -> list[Box]:
    """Every <text> element's box: its group's translation, its x/y, font size and anchor, and the estimated width
    of all its characters (tspans included). A box spans from the ascent (0.8 em above the baseline) to the
    descent (0.2 em below)."""
    boxes = []

    def walk(element: ET.Element, dx: float, dy: float) -> None:
        if moved := re.fullmatch(r"translate\(([-\d.]+),([-\d.]+)\)", element.get("transform", "")):
            dx, dy = dx + float(moved[1]), dy + float(moved[2])
        if element.tag == f"{SVG}text":
            text = "".join(element.itertext())
            size = float(element.get("font-size", "12"))
            x, y = dx + float(element.get("x", "0")), dy + float(element.get("y", "0"))
            span = len(text) * size * CHAR_EM
            left = {"middle": x - span / 2, "end": x - span}.get(element.get("text-anchor", "start"), x)
            boxes.append(Box(text, left, y - 0.8 * size, left + span, y + 0.2 * size))
            return
        for child in element:
            walk(child, dx, dy)

    walk(ET.fromstring(svg), 0.0, 0.0)  # noqa: S314 - our own renderer's output, not untrusted input
    return boxes


def overlapping(svg: str) -> list[tuple[str, str]]:
    boxes = [box for box in text_boxes(svg) if box.text.strip()]
    return [(a.text, b.text) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
