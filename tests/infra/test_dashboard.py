"""The operations dashboard: a valid body, only real metrics, every alarm, thresholds drawn, picture in sync."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from functions.common import catalog
from infra.config import REPO_ROOT, DeploymentConfig
from stack_model.stack import StackModel
from stack_model.template import LocalTemplate
from tests.support.lambda_output import emitted_metrics
from tests.support.metric_paths import lambdas_on_moto, run_every_metric_path
from tools.dashboard.render import canonical_json, dashboard_bodies, metric_refs, render_svg
from tools.dashboard.synthetic import SyntheticData

# The dimension that names a resource of the stack, per AWS service namespace.
RESOURCE_DIMENSIONS = {
    "AWS/ApiGateway": ("ApiId", "AWS::ApiGatewayV2::Api"),
    "AWS/Lambda": ("FunctionName", "AWS::Lambda::Function"),
    "AWS/DynamoDB": ("TableName", "AWS::DynamoDB::GlobalTable"),
    "AWS/SQS": ("QueueName", "AWS::SQS::Queue"),
}


@pytest.fixture(scope="module")
def body(template_json: dict[str, Any], config: DeploymentConfig) -> dict[str, Any]:
    bodies = dashboard_bodies(template_json)
    assert list(bodies) == [catalog.dashboard_name(config.stack_name)]
    return bodies[catalog.dashboard_name(config.stack_name)]


def _widgets(body: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [w for w in body["widgets"] if w["type"] == kind]


def test_every_widget_has_what_cloudwatch_requires_and_fits_the_grid(body: dict[str, Any]) -> None:
    occupied: set[tuple[int, int]] = set()
    for widget in body["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(widget), widget
        assert widget["type"] in {"text", "alarm", "metric", "log"}
        assert widget["x"] >= 0
        assert widget["x"] + widget["width"] <= 24
        cells = {
            (widget["x"] + dx, widget["y"] + dy) for dx in range(widget["width"]) for dy in range(widget["height"])
        }
        assert not cells & occupied, f"{widget['properties'].get('title')} overlaps another widget"
        occupied |= cells
    for widget in _widgets(body, "metric"):
        properties = widget["properties"]
        assert properties["region"]
        assert properties["view"] in {"timeSeries", "singleValue"}
        for entry in properties["metrics"]:
            fields = entry[:-1] if isinstance(entry[-1], dict) else entry
            assert all(isinstance(f, str) for f in fields), entry
            assert len(fields) >= 2, entry
            assert len(fields) % 2 == 0, f"namespace, name, then name/value pairs: {entry}"


def test_rows_answer_the_owners_questions_top_to_bottom(body: dict[str, Any]) -> None:
    ordered = sorted(body["widgets"], key=lambda w: (w["y"], w["x"]))
    titles = [w["properties"].get("title", w["type"]) for w in ordered]
    assert ordered[0]["type"] == "text"
    assert "runbook" in ordered[0]["properties"]["markdown"]
    assert titles[1] == "Alarms"
    expected = [
        "Visits recorded",
        "Where readers come from",
        "Application links (make link)",
        "Résumé downloads by UTC day",
        "API requests and errors",
        "API latency",
        "Counter invocations, errors, throttles",
        "Counter duration",
        "Counter concurrent executions",
        "Cold starts (count, handler import ms)",
        "DynamoDB capacity and throttles",
        "Notifier health",
        "Latest errors",
    ]
    assert [t for t in titles if t in expected] == expected


def test_every_logs_insights_query_names_log_groups_the_stack_creates(
    body: dict[str, Any], template_json: dict[str, Any]
) -> None:
    log_groups = {lid for lid, r in template_json["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    queries = [w["properties"]["query"] for w in _widgets(body, "log")]
    # cold starts, latest errors, latest failed probe checks, sources, application links, downloads
    assert len(queries) == 6
    for query in queries:
        sources = re.findall(r"SOURCE '([^']+)'", query)
        assert sources, query
        assert set(sources) <= log_groups
    assert any(catalog.COLD_START_LOG_MESSAGE in q and catalog.IMPORT_MS_LOG_KEY in q for q in queries), (
        "cold starts come from the counter's cold-start lines"
    )
    assert any(catalog.PROBE_CHECK_LOG_KEY in q for q in queries), "failed checks come from the probe's log lines"


def test_the_readers_widgets_read_the_counters_log_group(body: dict[str, Any], template_json: dict[str, Any]) -> None:
    # The sources, links and downloads are read by Logs Insights from the counter's log group (its EMF documents'
    # properties and its download lines: functions/counter/app.py), never from a metric of their own.
    counter_log_group = StackModel.from_template(template_json).function(catalog.COUNTER_HANDLER).log_group
    readers = {
        w["properties"]["title"]: w["properties"]["query"]
        for w in _widgets(body, "log")
        if any(
            f"ispresent({key})" in w["properties"]["query"]
            for key in (catalog.SOURCE_LOG_KEY, catalog.REF_LOG_KEY, catalog.DOWNLOADS_LOG_KEY)
        )
    }
    assert set(readers) == {
        "Where readers come from",
        "Application links (make link)",
        "Résumé downloads by UTC day",
    }
    for query in readers.values():
        assert re.findall(r"SOURCE '([^']+)'", query) == [counter_log_group]


def test_every_aws_metric_names_a_resource_of_the_stack(body: dict[str, Any], template_json: dict[str, Any]) -> None:
    resources = template_json["Resources"]
    for widget in _widgets(body, "metric"):
        for ref in metric_refs(widget):
            if ref.namespace not in RESOURCE_DIMENSIONS:
                continue
            dimension, resource_type = RESOURCE_DIMENSIONS[ref.namespace]
            named = dict(ref.dimensions)[dimension]
            assert resources[named]["Type"] == resource_type, (ref, named)


def test_every_custom_metric_on_the_dashboard_is_emitted_by_a_lambda(
    body: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = {
        (ref.namespace, ref.name, frozenset(ref.dimensions))
        for widget in _widgets(body, "metric")
        for ref in metric_refs(widget)
        if not ref.namespace.startswith("AWS/")
    }
    assert shown, "the dashboard shows the visits metric"
    with lambdas_on_moto(monkeypatch):
        capsys.readouterr()
        run_every_metric_path()
        emitted = {
            (m.namespace, m.name, frozenset(m.dimensions.items())) for m in emitted_metrics(capsys.readouterr().out)
        }
    assert shown - emitted == set()


def test_every_alarm_appears_in_the_alarm_status_widget(body: dict[str, Any], template_json: dict[str, Any]) -> None:
    local = LocalTemplate(template_json)
    alarm_arns = {
        local.arn(lid) for lid, r in template_json["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    (widget,) = _widgets(body, "alarm")
    assert set(widget["properties"]["alarms"]) == alarm_arns
    assert len(widget["properties"]["alarms"]) == len(alarm_arns) >= 9


def test_alarm_thresholds_are_drawn_on_their_graphs(body: dict[str, Any], config: DeploymentConfig) -> None:
    def annotations(title: str) -> list[float]:
        (widget,) = [w for w in _widgets(body, "metric") if w["properties"].get("title") == title]
        return [a["value"] for a in widget["properties"].get("annotations", {}).get("horizontal", [])]

    thresholds = config.alarm_thresholds
    assert annotations("API latency") == [thresholds.api_p99_latency_ms.value]
    assert thresholds.api_requests_per_5_minutes.value in annotations("API requests and errors")
    assert annotations("Counter invocations, errors, throttles") == [
        thresholds.counter_throttles_per_5_minutes.value,
        thresholds.counter_store_failures_per_5_minutes.value,
    ]


def test_the_picture_is_drawn_from_the_definition(body: dict[str, Any], synth_with: Any) -> None:
    # Same definition, same bytes
    first = render_svg(body, SyntheticData(), "d")
    assert first == render_svg(body, SyntheticData(), "d")
    assert canonical_json(body) == canonical_json(dict(body))
    # A changed threshold changes the picture
    changed_template = synth_with({"config.alarm_thresholds.api_p99_latency_ms": "2900"}).to_json()
    (changed,) = dashboard_bodies(changed_template).values()
    assert render_svg(changed, SyntheticData(), "d") != first
    assert "2,900" in render_svg(changed, SyntheticData(), "d") or "2900" in render_svg(changed, SyntheticData(), "d")


def test_the_docs_picture_is_the_current_definition(body: dict[str, Any], config: DeploymentConfig) -> None:
    # `make dashboard` refreshes docs/dashboard.svg; a stale picture fails here.
    name = catalog.dashboard_name(config.stack_name)
    expected = render_svg(body, SyntheticData(), f"{name} (synthetic data)")
    assert (REPO_ROOT / "docs" / "dashboard.svg").read_text() == expected


def test_the_dashboard_shows_views_unique_visitors_and_ignored_visits_by_reason(body: dict[str, Any]) -> None:
    service = (catalog.SERVICE_DIMENSION, catalog.COUNTER_SERVICE)
    shown = {
        (ref.name, frozenset(ref.dimensions))
        for widget in _widgets(body, "metric")
        for ref in metric_refs(widget)
        if ref.namespace == catalog.METRICS_NAMESPACE
    }
    for name in (catalog.VISITS_METRIC, catalog.UNIQUE_VISITORS_METRIC, catalog.IGNORED_VISITS_METRIC):
        assert (name, frozenset({service})) in shown
    for reason in catalog.IGNORE_REASONS:
        assert (catalog.IGNORED_VISITS_METRIC, frozenset({service, (catalog.IGNORE_REASON_DIMENSION, reason)})) in shown
