"""Deterministic made-up data for the docs picture: a personal site's week, compressed into 96 periods."""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Mapping, Sequence
from typing import Final

from tools.dashboard.render import MetricRef

PERIODS: Final = 96


class SyntheticData:
    def series(self, metric: MetricRef) -> Sequence[float]:
        # Seeded per metric so the picture is the same bytes on every run (not for security).
        rng = random.Random(zlib.crc32(f"{metric.namespace}/{metric.name}/{metric.statistic}".encode()))  # noqa: S311
        level, noise = _shape(metric)
        daily = [0.5 + 0.5 * math.sin(2 * math.pi * (i / 24 - 0.3)) for i in range(PERIODS)]
        return [max(0.0, level * (0.4 + d) + rng.gauss(0, noise)) for d in daily]

    def alarm_state(self, alarm_arn: str) -> str:
        return "OK"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        if "coldStarts" in query:
            return [
                {"bin(1h)": f"2026-11-21 {hour:02d}:00", "coldStarts": str(n), "avgImportMs": ms, "maxImportMs": mx}
                for hour, n, ms, mx in ((9, 3, "212", "255"), (10, 5, "198", "271"), (11, 2, "205", "220"))
            ]
        return [
            {"@timestamp": "2026-11-21 10:42:07", "service": "visit-counter", "message": "visit store unavailable"},
        ]


def _shape(metric: MetricRef) -> tuple[float, float]:
    """A believable level and noise for a metric, by what it measures."""
    name, statistic = metric.name.lower(), metric.statistic.lower()
    if any(word in name for word in ("error", "5xx", "throttle", "failure", "dead", "messagesvisible")):
        return 0.0, 0.15
    if "latency" in name or "duration" in name:
        return {"p50": 35.0, "p90": 60.0, "p99": 140.0}.get(statistic, 50.0), 5.0
    if "4xx" in name:
        return 1.0, 0.5
    if "concurrent" in name:
        return 1.0, 0.3
    return 12.0, 2.0
