"""Reads what a handler printed, as CloudWatch would: EMF metric documents and structured log lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EmittedMetric:
    namespace: str
    name: str
    unit: str
    dimensions: dict[str, str]
    value: float


def _json_lines(output: str) -> list[dict[str, Any]]:
    records = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def log_records(output: str) -> list[dict[str, Any]]:
    """Powertools Logger lines (EMF documents excluded)."""
    return [record for record in _json_lines(output) if "_aws" not in record and "level" in record]


def emitted_metrics(output: str) -> list[EmittedMetric]:
    """Every metric in the EMF documents printed, one entry per value."""
    metrics = []
    for record in _json_lines(output):
        metadata = record.get("_aws")
        if not metadata:
            continue
        for directive in metadata["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = {name: record[name] for name in dimension_set}
                for definition in directive["Metrics"]:
                    values = record[definition["Name"]]
                    for value in values if isinstance(values, list) else [values]:
                        metrics.append(
                            EmittedMetric(
                                namespace=directive["Namespace"],
                                name=definition["Name"],
                                unit=definition.get("Unit", "None"),
                                dimensions=dimensions,
                                value=float(value),
                            )
                        )
    return metrics
