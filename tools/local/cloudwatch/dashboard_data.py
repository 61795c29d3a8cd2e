"""The local system's live data for the dashboard picture: its metric store and alarm states."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Final

from tools.dashboard.render import MetricRef
from tools.local.cloudwatch.alarms import AlarmDefinition, reduce
from tools.local.cloudwatch.metrics import MetricStore

PERIODS_SHOWN: Final = 60


class LiveData:
    def __init__(self, store: MetricStore, alarms: Sequence[AlarmDefinition], period_scale: float) -> None:
        self._store = store
        self._alarms = {alarm.name: alarm for alarm in alarms}
        self._period_scale = period_scale

    def series(self, metric: MetricRef) -> Sequence[float]:
        period = metric.period_seconds * self._period_scale
        now = time.time()
        dimensions = dict(metric.dimensions)
        values = []
        for index in range(PERIODS_SHOWN, 0, -1):
            start = now - index * period
            points = self._store.values(metric.namespace, metric.name, dimensions, start, start + period)
            values.append(reduce(points, metric.statistic) if points else 0.0)
        return values

    def alarm_state(self, alarm_arn: str) -> str:
        alarm = self._alarms.get(alarm_arn.rsplit(":", 1)[-1])
        return alarm.state if alarm else "INSUFFICIENT_DATA"

    def log_rows(self, query: str) -> Sequence[Mapping[str, str]]:
        return []  # Logs Insights is not emulated; the widget shows its query
