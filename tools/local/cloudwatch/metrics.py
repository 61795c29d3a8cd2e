"""Local CloudWatch metrics: what the Lambdas print as EMF and what API Gateway and Lambda would record, kept in
memory for the alarm evaluator and the dashboard page (the only readers of metrics locally).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    value: float
    unit: str
    timestamp: float


class MetricStore:
    def __init__(self) -> None:
        self._points: list[Datapoint] = []
        self._lock = threading.Lock()

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
        self._add([point])

    def ingest_emf(self, output: str) -> int:
        """Records every metric in the EMF documents among a Lambda's printed lines; returns how many."""
        points = emf_datapoints(output)
        self._add(points)
        return len(points)

    def _add(self, points: list[Datapoint]) -> None:
        with self._lock:
            self._points += points

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
