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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

from tools.local.loops import BackgroundLoop

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
_MAX_UNSENT = 100_000  # while the emulator is unreachable; the oldest go first beyond this


class MetricStore:
    def __init__(self, cloudwatch: CloudWatchClient | None = None, flush_interval_seconds: float = 1.0) -> None:
        self._cloudwatch = cloudwatch
        self._points: list[Datapoint] = []
        self._unsent: list[Datapoint] = []
        self._lock = threading.Lock()
        self._flusher: BackgroundLoop | None = None
        if cloudwatch is not None:
            # Sent in batches off the request path: one PutMetricData per datapoint would slow every request.
            self._flusher = BackgroundLoop("metrics flusher", flush_interval_seconds, self.flush).start()

    def flush(self) -> None:
        """Sends what was recorded since the last flush; what could not reach the emulator goes with the next."""
        with self._lock:
            unsent, self._unsent = self._unsent, []
        if self._cloudwatch is None:
            return
        by_namespace: dict[str, list[Datapoint]] = {}
        for point in unsent:
            by_namespace.setdefault(point.namespace, []).append(point)
        batches = [
            (namespace, points[start : start + _BATCH])
            for namespace, points in by_namespace.items()
            for start in range(0, len(points), _BATCH)
        ]
        for index, (namespace, batch) in enumerate(batches):
            metric_data: list[Any] = [
                {
                    "MetricName": p.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions],
                    "Value": p.value,
                    "Unit": p.unit,
                    # an EMF document's own time, as CloudWatch keeps it
                    "Timestamp": datetime.fromtimestamp(p.timestamp, UTC),
                }
                for p in batch
            ]
            try:
                self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data)
            except (EndpointConnectionError, ConnectTimeoutError):
                # Never reached the emulator: kept for the next flush. (After any other error the request may
                # have been stored, and sending it again would count its datapoints twice.)
                kept = [point for _, rest in batches[index:] for point in rest]
                with self._lock:
                    self._unsent = (kept + self._unsent)[-_MAX_UNSENT:]
                raise

    def close(self) -> None:
        if self._flusher is not None:
            self._flusher.stop(wait_seconds=1.0)
            self._flusher.run_once()  # the last datapoints; an error is logged, not raised, at shutdown

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
        points = emf_datapoints(output)
        with self._lock:
            self._points += points
            self._unsent += points
        return len(points)

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


def emf_datapoints(output: str) -> list[Datapoint]:
    """Every value of every metric in the EMF documents among printed lines (other lines are skipped), as CloudWatch
    extracts them: each metric once per dimension set of its directive."""
    points: list[Datapoint] = []
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            points += _document_datapoints(document)
    return points


def _document_datapoints(document: dict[str, Any]) -> list[Datapoint]:
    metadata = document["_aws"]
    timestamp = metadata.get("Timestamp", time.time() * 1000) / 1000
    points = []
    for directive in metadata.get("CloudWatchMetrics", []):
        for dimension_set in directive.get("Dimensions", []):
            dimensions = tuple(sorted((name, str(document[name])) for name in dimension_set))
            for definition in directive.get("Metrics", []):
                values = document.get(definition["Name"], [])
                unit = definition.get("Unit", "None")
                for value in values if isinstance(values, list) else [values]:
                    points.append(
                        Datapoint(directive["Namespace"], definition["Name"], dimensions, float(value), unit, timestamp)
                    )
    return points
