"""Every custom metric an alarm watches is one the Lambdas really emit, under the same namespace and dimensions.

A renamed metric or a changed dimension would otherwise leave its alarm watching a metric that never gets a
datapoint: with missing data treated as not breaching, that alarm stays OK forever, silently. So this runs the
real handlers, reads their EMF output as CloudWatch would, and compares with the synthesized template.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.common import catalog
from infra.app import build_app
from infra.monitoring.counter import VISIT_STORE_FAILURES_ALARM
from tests.support.lambda_output import emitted_metrics
from tests.support.metric_paths import lambdas_on_moto, run_every_metric_path

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]
"""(namespace, metric name, dimensions) — what identifies a CloudWatch metric."""


@pytest.fixture(scope="module")
def alarm_definitions() -> list[Mapping[str, Any]]:
    _, stack = build_app()
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    return [alarm["Properties"] for alarm in alarms.values()]


def _watched_custom_metrics(alarms: list[Mapping[str, Any]]) -> dict[MetricKey, list[str]]:
    """Custom metrics (not in an AWS/ namespace) watched by alarms, single-metric or metric math → alarm names."""
    watched: dict[MetricKey, list[str]] = {}
    for props in alarms:
        if "MetricName" in props:
            metrics = [props]
        else:
            metrics = [q["MetricStat"]["Metric"] for q in props.get("Metrics", []) if "MetricStat" in q]
        for metric in metrics:
            if metric["Namespace"].startswith("AWS/"):
                continue
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            # A custom metric's dimension values are written by our code, so they are plain strings here.
            assert all(isinstance(value, str) for value in dimensions.values()), props["AlarmName"]
            key = (metric["Namespace"], metric["MetricName"], frozenset(dimensions.items()))
            watched.setdefault(key, []).append(props["AlarmName"])
    return watched


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with lambdas_on_moto(monkeypatch):
        yield


def test_every_custom_metric_an_alarm_watches_is_emitted_by_a_lambda(
    aws: None, alarm_definitions: list[Mapping[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the custom metrics the deployed alarms watch
    watched = _watched_custom_metrics(alarm_definitions)
    assert watched, "no alarm watches a custom metric: this test would prove nothing"
    # When the Lambdas run every path that records a metric
    capsys.readouterr()
    run_every_metric_path()
    emitted = {
        (metric.namespace, metric.name, frozenset(metric.dimensions.items()))
        for metric in emitted_metrics(capsys.readouterr().out)
    }
    # Then each watched metric is among them, with the same namespace and dimensions
    assert {key: alarms for key, alarms in watched.items() if key not in emitted} == {}


def test_the_counter_store_failures_alarm_is_one_of_them(alarm_definitions: list[Mapping[str, Any]]) -> None:
    watched = _watched_custom_metrics(alarm_definitions)
    key = (
        catalog.METRICS_NAMESPACE,
        catalog.STORE_FAILURES_METRIC,
        frozenset({(catalog.SERVICE_DIMENSION, catalog.COUNTER_SERVICE)}),
    )
    assert watched[key] == [catalog.alarm_name("ResumeBackend", VISIT_STORE_FAILURES_ALARM)]
