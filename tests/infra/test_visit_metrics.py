"""The visit-metrics publisher as deployed: fed by the visits table's stream, filtered to the totals item, batched,
retried and given up into an alarmed queue; absent beside an adopted table, whose counter publishes itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template

from functions.common import catalog
from infra.visit_metrics import BATCHING_WINDOW


def _one(template: Template, kind: str) -> tuple[str, Mapping[str, Any]]:
    ((logical_id, resource),) = template.find_resources(kind).items()
    return logical_id, resource


def _functions_by_handler(template: Template) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {r["Properties"]["Handler"]: (lid, r) for lid, r in template.find_resources("AWS::Lambda::Function").items()}


def test_the_publisher_reads_only_the_totals_items_changes_from_the_tables_stream(template: Template) -> None:
    # Given the default stack
    table_id, table = _one(template, "AWS::DynamoDB::GlobalTable")
    _, mapping = _one(template, "AWS::Lambda::EventSourceMapping")
    publisher_id, publisher = _functions_by_handler(template)[catalog.VISIT_METRICS_HANDLER]
    props = mapping["Properties"]
    # Then the table streams old and new images (a delta needs both)
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    # And the publisher is invoked from that stream, with only the totals item's records let through
    assert props["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert props["FunctionName"] == {"Ref": publisher_id}
    [only_filter] = props["FilterCriteria"]["Filters"]
    assert json.loads(only_filter["Pattern"]) == {
        "dynamodb": {"Keys": {catalog.VISITS_PARTITION_KEY: {"S": [catalog.VISITS_ITEM_KEY]}}}
    }
    # And at most one batch per 5-minute bucket, starting from what is written after the deploy
    assert (
        props["MaximumBatchingWindowInSeconds"] == BATCHING_WINDOW.to_seconds() == catalog.VISIT_METRICS_BUCKET_SECONDS
    )
    assert props["StartingPosition"] == "LATEST"
    # And a failing batch is retried a bounded number of times, halved, then recorded in a queue
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    queue_id = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert template.find_resources("AWS::SQS::Queue")[queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    # And the publisher is small, untraced and writes no start/report line per run
    assert publisher["Properties"]["MemorySize"] == 128
    assert publisher["Properties"].get("TracingConfig", {"Mode": "PassThrough"}) == {"Mode": "PassThrough"}
    assert publisher["Properties"]["LoggingConfig"]["SystemLogLevel"] == "WARN"


def test_the_publishers_role_reads_this_stream_and_sends_to_its_queue_and_nothing_else(template: Template) -> None:
    # Given the publisher's role policy
    table_id, _ = _one(template, "AWS::DynamoDB::GlobalTable")
    _, mapping = _one(template, "AWS::Lambda::EventSourceMapping")
    queue_id = mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    _, publisher = _functions_by_handler(template)[catalog.VISIT_METRICS_HANDLER]
    role_id = publisher["Properties"]["Role"]["Fn::GetAtt"][0]
    [policy] = [
        p for p in template.find_resources("AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    # Then every statement is scoped to one resource: its log group, the table's stream, its queue
    resources = {json.dumps(s["Resource"]): s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    stream = json.dumps({"Fn::GetAtt": [table_id, "StreamArn"]})
    queue = json.dumps({"Fn::GetAtt": [queue_id, "Arn"]})
    assert set(resources[stream]) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert "sqs:SendMessage" in resources[queue]
    assert not any(
        action.startswith("dynamodb:") and "Item" in action for actions in resources.values() for action in actions
    )
    assert len(resources) == 3  # the third: writing its own log group


def test_beside_an_adopted_table_there_is_no_publisher_and_the_counter_publishes_itself(synth_with: Any) -> None:
    # Given a stack adopting a retained table (its stream is not the stack's to turn on)
    template = synth_with({"config.existing_visits_table_name": "ResumeBackend-VisitsTable-RETAINED"})
    functions = _functions_by_handler(template)
    # Then no publisher, mapping or failed-batches alarm is created
    assert catalog.VISIT_METRICS_HANDLER not in functions
    assert template.find_resources("AWS::Lambda::EventSourceMapping") == {}
    alarm_names = [a["Properties"]["AlarmName"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    assert not any(name.endswith("visit-metrics-failures") for name in alarm_names)
    # And the counter is told to emit Visits and UniqueVisitors itself, which the default stack's counter is not
    _, counter = functions[catalog.COUNTER_HANDLER]
    assert counter["Properties"]["Environment"]["Variables"][catalog.COUNTER_PUBLISHES_VISITS_ENV] == "true"


def test_the_default_counter_leaves_the_visit_metrics_to_the_publisher(template: Template) -> None:
    _, counter = _functions_by_handler(template)[catalog.COUNTER_HANDLER]
    assert catalog.COUNTER_PUBLISHES_VISITS_ENV not in counter["Properties"]["Environment"]["Variables"]
