"""Deterministic made-up data for the docs picture: one plausible day of a working personal site.

Visitors come mostly in the afternoon (UTC), a shared link brings a spike at 18:30 that fades within the hour;
the availability probe passes all day; nothing errors, throttles or dead-letters; latencies are those of a warm
arm64 Lambda with a DynamoDB write, with the occasional cold start. Readers come mostly from LinkedIn (the spike is
a LinkedIn post's), directly and from search; two application links are opened, one several times, and a stranger's
code once; a few readers download the résumé. Every metric is read from the same simulated
day, so the graphs agree with each other, and the log widgets run their real queries over the day's log lines.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from functions.common import catalog
from tools.dashboard import logs_insights
from tools.dashboard.render import MetricRef

DAY_START: Final = calendar.timegm((2026, 11, 21, 0, 0, 0))
BUCKET_SECONDS: Final = 300
BUCKETS: Final = 86400 // BUCKET_SECONDS
SPIKE_HOUR: Final = 18.5
IGNORED_PER_BUCKET: Final = {
    "crawler": 0.15,
    "no_user_agent": 0.04,
    "not_a_browser": 0.08,
    "foreign_origin": 0.02,
    "over_daily_limit": 0.05,
    "over_network_limit": 0.0,
}
PROBE_REQUESTS_PER_BUCKET: Final = 0.5
"""The probe reads the count once per 10-minute run."""
SOURCE_SHARES: Final = {
    "linkedin": 0.34,
    "direct": 0.24,
    "google": 0.16,
    "github": 0.08,
    "indeed": 0.06,
    "other": 0.05,
    "bing": 0.03,
    "glassdoor": 0.02,
    "other_search": 0.02,
}
"""Where a unique visitor of the day comes from, outside the spike (whose readers come from the LinkedIn post)."""
LINK_OPENINGS: Final = (
    ("acme-2026-11", 10.2),
    ("acme-2026-11", 10.3),
    ("globex-2026-11", 13.7),
    ("acme-2026-11", 15.1),
    (catalog.OTHER_LINK_CODE, 16.4),
    ("acme-2026-11", 20.9),
)
"""(code, hour): the views that came through an application link."""
DOWNLOADS_PER_VIEW: Final = 0.04


@dataclass
class _Bucket:
    views: int
    unique: int
    ignored: dict[str, int]
    client_errors: int
    cold_starts: int
    concurrency: int
    latency_ms: dict[str, float] = field(default_factory=dict)
    duration_ms: dict[str, float] = field(default_factory=dict)

    @property
    def invocations(self) -> float:
        return self.views + sum(self.ignored.values()) + PROBE_REQUESTS_PER_BUCKET


class SyntheticData:
    def __init__(self) -> None:
        rng = random.Random(20261121)  # noqa: S311 - a fixed seed: the picture is the same bytes on every run
        self._day = [_bucket(rng, index) for index in range(BUCKETS)]
        self._events = _reader_events(self._day) + [
            {
                "@timestamp": DAY_START + index * BUCKET_SECONDS + rng.randrange(BUCKET_SECONDS),
                "level": "INFO",
                "message": "cold start",
                "service": "visit-counter",
                "import_ms": round(rng.gauss(190, 18), 1),
            }
            for index, bucket in enumerate(self._day)
            for _ in range(bucket.cold_starts)
        ]

    def window(self) -> tuple[float, float]:
        return float(DAY_START), float(DAY_START + 86400)

    def series(self, metric: MetricRef) -> Sequence[float]:
        per = max(1, metric.period_seconds // BUCKET_SECONDS)
        groups = [self._day[i : i + per] for i in range(0, BUCKETS, per)]
        return [_combine(metric, [_value(metric, bucket) for bucket in group]) for group in groups]

    def alarm_state(self, alarm_arn: str) -> str:
        return "OK"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        # One day's lines of every function; the query's own filter picks its group's (cold starts are the
        # counter's; a passing probe and a quiet notifier write no line the other queries match).
        return logs_insights.run(logs_insights.parse(query), self._events)


def _reader_events(day: Sequence[_Bucket]) -> list[dict[str, Any]]:
    """The counter's lines the readers' widgets count: a source on each unique visitor's first view, the code of a
    view through an application link, a line per download (functions/counter/app.py). A generator of its own, so
    the metrics' day stays the same."""
    rng = random.Random(2026112118)  # noqa: S311 - a fixed seed, as above
    names, shares = list(SOURCE_SHARES), list(SOURCE_SHARES.values())
    events: list[dict[str, Any]] = []
    for index, bucket in enumerate(day):
        start = DAY_START + index * BUCKET_SECONDS
        in_spike = SPIKE_HOUR <= index * BUCKET_SECONDS / 3600 < SPIKE_HOUR + 1
        for _ in range(bucket.unique):
            source = "linkedin" if in_spike and rng.random() < 0.9 else rng.choices(names, shares)[0]
            events.append({"@timestamp": start + rng.randrange(BUCKET_SECONDS), catalog.SOURCE_LOG_KEY: source})
        for _ in range(_poisson(rng, bucket.views * DOWNLOADS_PER_VIEW)):
            events.append({"@timestamp": start + rng.randrange(BUCKET_SECONDS), catalog.DOWNLOADS_LOG_KEY: 1})
    events += [
        {"@timestamp": DAY_START + round(hour * 3600), catalog.REF_LOG_KEY: code} for code, hour in LINK_OPENINGS
    ]
    return events


def _traffic(hour: float) -> float:
    """Expected page views in 5 minutes at `hour` (UTC): an afternoon peak, and the shared link's spike."""
    daily = 0.12 + 1.6 * math.exp(-(((hour - 14.5) / 3.5) ** 2))
    spike = 28 * math.exp(-(hour - SPIKE_HOUR) / 0.35) if hour >= SPIKE_HOUR else 0.0
    return daily + spike


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _bucket(rng: random.Random, index: int) -> _Bucket:
    hour = index * BUCKET_SECONDS / 3600
    views = _poisson(rng, _traffic(hour))
    concurrency = 1 + views // 12
    # The probe's read every 10 minutes keeps a container warm: cold starts are rare, save new containers in a spike.
    cold = (1 if rng.random() < 0.025 else 0) + max(0, concurrency - 1)
    slow = 1.0 + 4.0 * (cold > 0)
    bucket = _Bucket(
        views=views,
        unique=sum(1 for _ in range(views) if rng.random() < 0.7),
        ignored={reason: _poisson(rng, mean) for reason, mean in IGNORED_PER_BUCKET.items()},
        client_errors=_poisson(rng, 0.03),
        cold_starts=cold,
        concurrency=concurrency,
    )
    bucket.latency_ms = {"p50": rng.gauss(42, 4), "p90": rng.gauss(68, 6), "p99": rng.gauss(115, 12) * slow}
    bucket.duration_ms = {"p50": rng.gauss(21, 2), "p99": rng.gauss(55, 6) * slow}
    return bucket


def _value(metric: MetricRef, bucket: _Bucket) -> float:
    dimensions = dict(metric.dimensions)
    name, statistic = metric.name, metric.statistic
    values: dict[str, Any] = {
        "Visits": bucket.views,
        "UniqueVisitors": bucket.unique,
        "IgnoredVisits": bucket.ignored.get(dimensions.get("reason", ""), sum(bucket.ignored.values())),
        "Count": bucket.invocations + PROBE_REQUESTS_PER_BUCKET,  # the probe's CORS preflight, answered by the API
        "4xx": bucket.client_errors,
        "Latency": bucket.latency_ms.get(statistic, 0.0),
        "Duration": bucket.duration_ms.get(statistic, 0.0),
        "ConcurrentExecutions": bucket.concurrency,
        "ConsumedReadCapacityUnits": bucket.invocations * 0.5,
        "ConsumedWriteCapacityUnits": 2 * bucket.views + bucket.unique,
    }
    if name == "Invocations":
        # The notifier runs only when an alarm changes state: not on this quiet day.
        return 0.0 if "Notifier" in dimensions.get("FunctionName", "") else bucket.invocations
    return float(values.get(name, 0.0))  # errors, throttles, 5xx, probe failures, dead letters: none


def _combine(metric: MetricRef, values: list[float]) -> float:
    if metric.statistic in {"Sum", "SampleCount"}:
        return sum(values)
    return max(values)  # Maximum, and an upper bound of a percentile over the longer period
