"""What make cost reads from a template, from a hand-made one; the access-log line; the price file's shape."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from stack_model.stack import StackModel
from tools.cost.model import CostInputs, access_log_line, alarm_metrics, platform_bytes
from tools.cost.prices import BILLING, PRICES_FILE


def _alarm(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def test_alarms_are_counted_by_the_metrics_they_read() -> None:
    # Given a one-metric alarm, a metric-math alarm over three metrics, and a 10-second alarm
    math_alarm = _alarm(
        Metrics=[
            {"Id": "e", "Expression": "a+b+c"},
            *({"Id": n, "MetricStat": {"Period": 300}} for n in "abc"),
        ]
    )
    template = {
        "Resources": {
            "One": _alarm(MetricName="Errors", Period=300),
            "Math": math_alarm,
            "Fast": _alarm(MetricName="Errors", Period=10),
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
            "Plain": {"Type": "AWS::KMS::Key", "Properties": {}},
        }
    }
    # When its model is read
    stack = StackModel.from_template(template)
    # Then 5 alarm metrics, and two keys, one rotating
    assert alarm_metrics(stack) == 1 + 3 + 1
    assert stack.kms_keys == {"Key": True, "Plain": False}
    assert stack.stage is None


def test_the_access_log_line_fills_every_variable_of_the_format() -> None:
    log_format = json.dumps({"id": "$context.requestId", "route": "$context.routeKey", "odd": "$context.error.message"})
    line = access_log_line(log_format)
    record = json.loads(line)
    assert record["route"] == "POST /visits"
    assert record["odd"] == "-"  # no value on success: API Gateway writes "-"
    assert "$context" not in line
    assert line.endswith("\n")


def test_every_price_is_dated_sourced_and_there_for_every_billed_usage() -> None:
    document = json.loads(PRICES_FILE.read_text())
    date.fromisoformat(document["as_of"])
    needed = {price for price, _, _ in BILLING.values()} | {free for _, _, free in BILLING.values() if free}
    for region, prices in document["regions"].items():
        assert needed <= set(prices), (region, needed - set(prices))
        for key, entry in prices.items():
            assert re.match(r"^https://", entry["source"]), key
            assert re.match(r"^https://", entry["seen_at"]), key
            assert entry["unit"], key
            assert ("value" in entry) != ("tiers" in entry), key


def test_a_function_at_system_log_level_warn_writes_no_platform_lines_and_the_access_log_class_is_read() -> None:
    # Given a counter whose system log level drops Lambda's start/report lines, another at the default, and a stage
    # whose access logs go to an Infrequent Access log group
    quiet = {"Handler": "q.h", "LoggingConfig": {"LogFormat": "JSON", "SystemLogLevel": "WARN"}}
    template = {
        "Resources": {
            "Quiet": {"Type": "AWS::Lambda::Function", "Properties": quiet},
            "Chatty": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "c.h"}},
            "AccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupClass": "INFREQUENT_ACCESS"}},
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {"AccessLogSettings": {"DestinationArn": {"Fn::GetAtt": ["AccessLogs", "Arn"]}}},
            },
        }
    }
    # When its model is read
    stack = StackModel.from_template(template)
    inputs = CostInputs(stack, {}, None, "", guard_rate_per_second=1)
    # Then only the default one writes platform lines, and the access log is billed at its class's price
    assert (platform_bytes(stack.functions["Quiet"]), platform_bytes(stack.functions["Chatty"]) > 0) == (0, True)
    assert inputs.access_log_class == "INFREQUENT_ACCESS"
    assert BILLING["logs_ingested_ia_gb"][0] == "logs_ingestion_infrequent_access"
