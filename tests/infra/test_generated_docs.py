"""Tables in the docs that restate code are generated from it and fresh (`python -m tools.docs_gen`)."""

from __future__ import annotations

from typing import Any

from infra.app import build_app
from tools import doc_tables as docs
from tools.docs_gen import render_stack_docs


def test_alarm_table_and_resource_counts_are_current() -> None:
    for path, expected in render_stack_docs().items():
        assert path.read_text() == expected, f"{path.name} is stale: run python -m tools.docs_gen"


def test_alarm_table_has_a_row_per_alarm_of_the_stack(template_json: dict[str, Any]) -> None:
    # Given the alarms the stack deploys
    _, stack = build_app()
    deployed = [r for r in template_json["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    # Then the generated table has one row for each, linking its runbook section
    rows = docs.alarm_rows(stack.alarms.specs)[2:]
    assert len(rows) == len(deployed) == len(stack.alarms.specs)
    for alarm_id in stack.alarms.specs:
        assert sum(f"(runbook.md#{alarm_id})" in row for row in rows) == 1


def test_counts_follow_the_template() -> None:
    # Given a template with two alarms, one of them metric math over three metrics
    template = {
        "Resources": {
            "A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}},
            "B": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"Metrics": [{"Expression": "m1+m2+m3"}, *({"MetricStat": {}} for _ in range(3))]},
            },
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {}},
        }
    }
    # Then both alarms are counted and the metrics they read are 1 + 3
    rows = docs.count_rows(template)
    assert "| CloudWatch alarms | 2 |" in rows
    assert "| SQS queues | 1 |" in rows
    assert rows[-1].endswith("| 4 |")
