"""The live dashboard's data (`make dev`'s /dashboard): the local metric store, the alarm states, and the local
functions' log lines for the Logs Insights widgets, over the last PERIODS_SHOWN five-minute periods (scaled)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from tools.dashboard import logs_insights
from tools.dashboard.render import MetricRef
from tools.local.cloudwatch.alarms import AlarmDefinition, reduce
from tools.local.cloudwatch.logs import log_events
from tools.local.cloudwatch.metrics import MetricStore

PERIODS_SHOWN: Final = 60
DEFAULT_PERIOD_SECONDS: Final = 300


class LiveData:
    def __init__(
        self,
        store: MetricStore,
        alarms: Sequence[AlarmDefinition],
        period_scale: float,
        log_file: Callable[[str], Path | None],
    ) -> None:
        """`log_file`: the local file a log group's lines are written to (None: a group no local function writes)."""
        self._store = store
        self._alarms = {alarm.name: alarm for alarm in alarms}
        self._period_scale = period_scale
        self._log_file = log_file
        self._end = time.time()
        self._start = self._end - PERIODS_SHOWN * DEFAULT_PERIOD_SECONDS * period_scale

    def window(self) -> tuple[float, float]:
        return self._start, self._end

    def series(self, metric: MetricRef) -> Sequence[float]:
        period = metric.period_seconds * self._period_scale
        dimensions = dict(metric.dimensions)
        values = []
        for index in range(max(1, round((self._end - self._start) / period)), 0, -1):
            start = self._end - index * period
            points = self._store.values(metric.namespace, metric.name, dimensions, start, start + period)
            values.append(reduce(points, metric.statistic) if points else 0.0)
        return values

    def alarm_state(self, alarm_arn: str) -> str:
        alarm = self._alarms.get(alarm_arn.rsplit(":", 1)[-1])
        return alarm.state if alarm else "INSUFFICIENT_DATA"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        return logs_insights.rows(query, self._events, self._start, self._end)

    def _events(self, log_group: str) -> list[dict[str, object]]:
        path = self._log_file(log_group)
        return log_events(path) if path else []
