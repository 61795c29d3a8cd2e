"""Local CloudWatch metrics: what the Lambdas print as EMF and what API Gateway and Lambda would record.

Each datapoint is kept in memory for the alarm evaluator and the dashboard page, and sent to the emulator's
CloudWatch (PutMetricData) so `aws cloudwatch get-metric-statistics --endpoint-url ...` shows it too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    value: float
    unit: str
    timestamp: float


_BATCH = 500  # PutMetricData takes at most 1,000 values per call


class MetricStore:
    def __init__(self, cloudwatch: CloudWatchClient | None = None, flush_interval_seconds: float = 1.0) -> None:
        self._cloudwatch = cloudwatch
        self._points: list[Datapoint] = []
        self._unsent: list[Datapoint] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        if cloudwatch is not None:
            # Sent in batches off the request path: one PutMetricData per datapoint would slow every request.
            threading.Thread(target=self._flush_forever, args=(flush_interval_seconds,), daemon=True).start()

    def _flush_forever(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            unsent, self._unsent = self._unsent, []
        if self._cloudwatch is None:
            return
        by_namespace: dict[str, list[Datapoint]] = {}
        for point in unsent:
            by_namespace.setdefault(point.namespace, []).append(point)
        for namespace, points in by_namespace.items():
            for start in range(0, len(points), _BATCH):
                self._cloudwatch.put_metric_data(
                    Namespace=namespace,
                    MetricData=[
                        {
                            "MetricName": p.name,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions],
                            "Value": p.value,
                            "Unit": p.unit,  # type: ignore[typeddict-item]
                        }
                        for p in points[start : start + _BATCH]
                    ],
                )

    def close(self) -> None:
        self._stopped.set()
        self.flush()

    def record(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str],
        value: float,
        unit: str = "Count",
        timestamp: float | None = None,
    ) -> None:
        point = Datapoint(namespace, name, tuple(sorted(dimensions.items())), value, unit, timestamp or time.time())
        with self._lock:
            self._points.append(point)
            self._unsent.append(point)

    def ingest_emf(self, output: str) -> int:
        """Records every metric in the EMF documents among a Lambda's printed lines; returns how many."""
        recorded = 0
        for line in output.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict) and "_aws" in document:
                recorded += self._record_emf(document)
        return recorded

    def _record_emf(self, document: dict[str, Any]) -> int:
        metadata = document["_aws"]
        timestamp = metadata.get("Timestamp", time.time() * 1000) / 1000
        recorded = 0
        for directive in metadata.get("CloudWatchMetrics", []):
            for dimension_set in directive.get("Dimensions", []):
                dimensions = {name: str(document[name]) for name in dimension_set}
                for definition in directive.get("Metrics", []):
                    values = document.get(definition["Name"], [])
                    for value in values if isinstance(values, list) else [values]:
                        self.record(
                            directive["Namespace"],
                            definition["Name"],
                            dimensions,
                            float(value),
                            definition.get("Unit", "None"),
                            timestamp,
                        )
                        recorded += 1
        return recorded

    def values(
        self, namespace: str, name: str, dimensions: Mapping[str, str], since: float, until: float
    ) -> list[float]:
        key = tuple(sorted(dimensions.items()))
        with self._lock:
            return [
                p.value
                for p in self._points
                if p.namespace == namespace and p.name == name and p.dimensions == key and since <= p.timestamp < until
            ]

    def series(self) -> Iterable[Datapoint]:
        with self._lock:
            return list(self._points)
