"""Made-up data for the docs picture: one plausible day of a working personal site, the same bytes on every run.

Visits peak in the afternoon (UTC) and a LinkedIn post brings a spike at 18:30 that fades within the hour; every
metric follows the day's views, nothing errors, throttles or dead-letters, and the probe passes. The log widgets
run their real queries over a few lines of the same day: cold starts, readers' sources, application links, downloads.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any, Final

from functions.common import catalog
from tools.dashboard import logs_insights
from tools.dashboard.render import MetricRef

DAY_START: Final = calendar.timegm((2026, 11, 21, 0, 0, 0))
BUCKET_SECONDS: Final = 300
SPIKE_HOUR: Final = 18.5
PER_VIEW: Final = {
    "Visits": 1.0,
    "UniqueVisitors": 0.7,
    "Invocations": 1.3,  # the views, the ignored visits and the probe's reads
    "Count": 1.4,  # and the probe's CORS preflight, answered by the API
    "ConsumedReadCapacityUnits": 0.6,
    "ConsumedWriteCapacityUnits": 2.7,
}
"""A metric's sum in a 5-minute period, per page view of that period."""
IGNORED_PER_VIEW: Final = {"crawler": 0.09, "not_a_browser": 0.05, "no_user_agent": 0.02, "over_daily_limit": 0.03}
MILLISECONDS: Final = {"Latency": {"p50": 42.0, "p90": 68.0, "p99": 115.0}, "Duration": {"p50": 21.0, "p99": 55.0}}
COLD_STARTS: Final = ((6.2, 187.0), (9.8, 204.0), (13.1, 176.0), (18.55, 191.0), (18.6, 199.0), (22.4, 183.0))
"""(hour, handler import ms): rare, as the probe keeps a container warm; new containers in the spike."""
SOURCES: Final = {"linkedin": 31, "direct": 14, "google": 9, "github": 5, "indeed": 3, "other": 2}
"""Readers per source over the day."""
LINK_OPENINGS: Final = {
    "acme-2026-11": (10.2, 10.3, 15.1, 20.9),
    "globex-2026-11": (13.7,),
    catalog.OTHER_LINK_CODE: (16.4,),
}
"""The hours of the views that came through each application link."""
DOWNLOAD_HOURS: Final = (11.3, 15.9, 18.8, 19.1)


def _at(hour: float) -> float:
    return DAY_START + round(hour * 3600)


class SyntheticData:
    def __init__(self) -> None:
        rng = random.Random(20261121)  # noqa: S311 - a fixed seed: the picture is the same bytes on every run
        hours = [index * BUCKET_SECONDS / 3600 for index in range(86400 // BUCKET_SECONDS)]
        self._views = [round(rng.expovariate(1 / _expected_views(hour))) for hour in hours]
        self._jitter = [rng.gauss(1.0, 0.08) for _ in hours]
        """Each period's latencies against their typical values."""
        self._events: list[dict[str, Any]] = [
            {"@timestamp": _at(hour), "message": catalog.COLD_START_LOG_MESSAGE, catalog.IMPORT_MS_LOG_KEY: ms}
            for hour, ms in COLD_STARTS
        ]
        self._events += [
            {"@timestamp": _at(rng.uniform(7, 23)), catalog.SOURCE_LOG_KEY: source}
            for source, readers in SOURCES.items()
            for _ in range(readers)
        ]
        self._events += [
            {"@timestamp": _at(hour), catalog.REF_LOG_KEY: code}
            for code, hours in LINK_OPENINGS.items()
            for hour in hours
        ]
        self._events += [{"@timestamp": _at(hour), catalog.DOWNLOADS_LOG_KEY: 1} for hour in DOWNLOAD_HOURS]

    def window(self) -> tuple[float, float]:
        return float(DAY_START), float(DAY_START + 86400)

    def series(self, metric: MetricRef) -> Sequence[float]:
        per = max(1, metric.period_seconds // BUCKET_SECONDS)
        values = [_value(metric, views, jitter) for views, jitter in zip(self._views, self._jitter, strict=True)]
        combine = sum if metric.statistic in {"Sum", "SampleCount"} else max
        return [combine(values[i : i + per]) for i in range(0, len(values), per)]

    def alarm_state(self, alarm_arn: str) -> str:
        return "OK"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        # The day's lines of every function; each query's own filter picks its lines (a passing probe and a quiet
        # notifier write none the other queries match).
        return logs_insights.run(logs_insights.parse(query), self._events)


def _expected_views(hour: float) -> float:
    """Page views expected in 5 minutes at `hour` (UTC): an afternoon peak, and the shared post's spike."""
    daily = 0.12 + 1.6 * math.exp(-(((hour - 14.5) / 3.5) ** 2))
    spike = 28 * math.exp(-(hour - SPIKE_HOUR) / 0.35) if hour >= SPIKE_HOUR else 0.0
    return daily + spike


def _value(metric: MetricRef, views: int, jitter: float) -> float:
    dimensions = dict(metric.dimensions)
    if metric.name == "IgnoredVisits":
        reason = dimensions.get(catalog.IGNORE_REASON_DIMENSION)
        return views * (IGNORED_PER_VIEW.get(reason, 0.0) if reason else sum(IGNORED_PER_VIEW.values()))
    if metric.name == "Invocations" and "Notifier" in dimensions.get("FunctionName", ""):
        return 0.0  # the notifier runs only when an alarm changes state: not on this quiet day
    if metric.name == "ConcurrentExecutions":
        return 1 + views // 12
    if metric.name in MILLISECONDS:
        return MILLISECONDS[metric.name].get(metric.statistic, 0.0) * jitter
    return views * PER_VIEW.get(metric.name, 0.0)  # errors, throttles, 5xx, probe failures, dead letters: none
