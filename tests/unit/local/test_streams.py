"""The visits table's stream reaches its function locally as the template's event source mapping says: from LATEST,
filtered, in batches shaped like Lambda's DynamoDB events, retried and bisected, then given up to the on-failure
queue — on moto's server, with the real synthesized mapping (a stand-in handler in place of the publisher)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from assembly.synth import default_template
from assembly.template import TABLE_TYPES, LocalTemplate, referenced
from functions.common import catalog
from infra.local.emulator import AwsClients, AwsEmulator
from infra.local.event_filters import matches
from infra.local.metrics import MetricStore
from infra.local.provision import create_queue, create_table
from infra.local.runtime import LambdaRuntime
from infra.local.state import TableSnapshots
from infra.local.stream_mappings import UnsupportedMappingError, stream_mappings_from_template
from infra.local.streams import StreamDelivery
from infra.local.system import LocalSystem
from tests.unit.local.handlers import stream_recorder

REAL: dict[str, Any] = default_template()
MAPPING_ID = next(lid for lid, r in REAL["Resources"].items() if r["Type"] == "AWS::Lambda::EventSourceMapping")
_MAPPING = REAL["Resources"][MAPPING_ID]["Properties"]


def _id(reference: Any) -> str:
    logical_id = referenced(reference)
    if logical_id is None:
        raise LookupError(reference)
    return logical_id


TABLE_ID = _id(_MAPPING["EventSourceArn"])
FUNCTION_ID = _id(_MAPPING["FunctionName"])
QUEUE_ID = _id(_MAPPING["DestinationConfig"]["OnFailure"]["Destination"])
RETRIES = int(_MAPPING["MaximumRetryAttempts"])
KEY = catalog.VISITS_PARTITION_KEY
FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _template(**mapping_overrides: Any) -> LocalTemplate:
    """The synthesized table, queue and mapping, the function's settings with the stand-in handler."""
    resources = copy.deepcopy(REAL["Resources"])
    function = resources[FUNCTION_ID]
    function["Properties"]["Handler"] = "tests.unit.local.handlers.stream_recorder.lambda_handler"
    mapping = resources[MAPPING_ID]
    mapping["Properties"].update(mapping_overrides)
    kept = (TABLE_ID, QUEUE_ID, FUNCTION_ID, MAPPING_ID)
    return LocalTemplate({"Resources": {logical_id: resources[logical_id] for logical_id in kept}})


@pytest.fixture(scope="module")
def emulator() -> Iterator[AwsEmulator]:
    emulator = AwsEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def aws(emulator: AwsEmulator) -> AwsClients:
    emulator.reset()
    stream_recorder.received.clear()
    return emulator.clients()


class Local:
    """The table, queue and runtime of one test, and the stream delivery built from `template`."""

    def __init__(self, aws: AwsClients, tmp_path: Path, template: LocalTemplate | None = None) -> None:
        self.aws = aws
        self.template = template or _template()
        create_table(aws.dynamodb, self.template, TABLE_ID)
        create_queue(aws.sqs, QUEUE_ID)
        self.metrics = MetricStore()
        self.runtime = LambdaRuntime(self.template, platform={}, metrics=self.metrics, logs_dir=tmp_path / "logs")

    def start(self) -> StreamDelivery:
        return StreamDelivery.from_template(self.template, self.aws, self.runtime, self.metrics)

    def put(self, key: str, **attributes: dict[str, Any]) -> None:
        self.aws.dynamodb.put_item(TableName=TABLE_ID, Item={KEY: {"S": key}, **attributes})

    def count_visit(self) -> None:
        """What the counter does to the totals item on a counted visit."""
        self.aws.dynamodb.update_item(
            TableName=TABLE_ID,
            Key={KEY: {"S": catalog.VISITS_ITEM_KEY}},
            UpdateExpression="ADD #count :one",
            ExpressionAttributeNames={"#count": catalog.VISITS_COUNT_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def failed_batches(self) -> list[dict[str, Any]]:
        url = self.aws.sqs.get_queue_url(QueueName=QUEUE_ID)["QueueUrl"]
        messages = self.aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


def _delivered_keys() -> list[list[str]]:
    return [[r["dynamodb"]["Keys"][KEY]["S"] for r in event["Records"]] for event in stream_recorder.received]


def test_a_counted_visit_reaches_the_function_as_lambdas_dynamodb_event(aws: AwsClients, tmp_path: Path) -> None:
    # Given the mapping started on the visits table
    local = Local(aws, tmp_path)
    delivery = local.start()
    # When two visits are counted (the first creates the item: one INSERT, though moto writes two) and read
    local.count_visit()
    local.count_visit()
    before = time.time()
    assert delivery.deliver() == 2
    # Then the function got one event with both records, shaped as Lambda sends them
    [event] = stream_recorder.received
    first, second = event["Records"]
    stream_arn = aws.dynamodb.describe_table(TableName=TABLE_ID)["Table"]["LatestStreamArn"]
    assert set(second) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert (first["eventName"], second["eventName"]) == ("INSERT", "MODIFY")
    assert second["eventSource"] == "aws:dynamodb"
    assert second["eventSourceARN"] == stream_arn
    assert second["awsRegion"] == "us-east-1"
    record = second["dynamodb"]
    assert record["Keys"] == {KEY: {"S": catalog.VISITS_ITEM_KEY}}
    assert record["OldImage"][catalog.VISITS_COUNT_ATTRIBUTE] == {"N": "1"}
    assert record["NewImage"][catalog.VISITS_COUNT_ATTRIBUTE] == {"N": "2"}
    assert record["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(record["SequenceNumber"], str)
    assert isinstance(record["SizeBytes"], int)
    assert "OldImage" not in first["dynamodb"]
    # And its creation time is epoch seconds, a number, as in Lambda's event (not the datetime boto3 parses)
    created = record["ApproximateCreationDateTime"]
    assert isinstance(created, int)
    assert before - 60 <= created <= before + 1
    json.dumps(event)  # the event is plain JSON, as Lambda passes it
    # And what the function printed as EMF is in the local metric store (the runtime's one path)
    assert local.metrics.values(stream_recorder.NAMESPACE, "Records", {}, 0, time.time() + 1) == [2.0]


def test_only_the_totals_items_records_pass_the_templates_filter(aws: AwsClients, tmp_path: Path) -> None:
    # Given the mapping with the template's filter (the totals item's key only)
    local = Local(aws, tmp_path)
    delivery = local.start()
    # When a salt, a visitor item and the totals item are written
    local.put("salt#2026-12-01")
    local.put("visitor#abc")
    local.count_visit()
    # Then only the totals item's record reaches the function
    assert delivery.deliver() == 1
    assert _delivered_keys() == [[catalog.VISITS_ITEM_KEY]]
    # And a round with only filtered-out records invokes nothing
    local.put("visitor#def")
    assert delivery.deliver() == 0
    assert len(stream_recorder.received) == 1


def test_records_written_before_the_mapping_starts_are_not_delivered(aws: AwsClients, tmp_path: Path) -> None:
    # Given a visit counted before the system, and a snapshot of the tables restored as the system starts
    local = Local(aws, tmp_path)
    local.count_visit()
    saved = tmp_path / "tables.json"
    saved.write_text(
        json.dumps({TABLE_ID: [{KEY: {"S": catalog.VISITS_ITEM_KEY}, catalog.VISITS_COUNT_ATTRIBUTE: {"N": "41"}}]})
    )
    assert TableSnapshots(aws.dynamodb, [TABLE_ID], saved).restore() == 1
    # When the mapping starts (at LATEST) and a visit is counted after it
    delivery = local.start()
    local.count_visit()
    # Then only the later visit reaches the function: the restore is no visit
    assert delivery.deliver() == 1
    [event] = stream_recorder.received
    [record] = event["Records"]
    assert record["dynamodb"]["NewImage"][catalog.VISITS_COUNT_ATTRIBUTE] == {"N": "42"}


def test_records_come_in_batches_of_at_most_the_batch_size_in_order(aws: AwsClients, tmp_path: Path) -> None:
    # Given a mapping with a batch size of 2 and no filter
    local = Local(aws, tmp_path, _template(BatchSize=2, FilterCriteria={"Filters": []}))
    delivery = local.start()
    # When five items are written
    for index in range(5):
        local.put(f"item-{index}")
    # Then the function gets them in order, two at most per event
    assert delivery.deliver() == 5
    assert _delivered_keys() == [["item-0", "item-1"], ["item-2", "item-3"], ["item-4"]]


def test_a_failing_batch_is_bisected_retried_then_recorded_in_the_queue_and_later_records_flow(
    aws: AwsClients, tmp_path: Path
) -> None:
    # Given the template's retries and bisection, no filter
    local = Local(aws, tmp_path, _template(FilterCriteria={"Filters": []}))
    delivery = local.start()
    # When a batch holds one poison record among good ones
    local.put("good-1")
    local.put("bad", poison={"BOOL": True})
    local.put("good-2")
    local.put("good-3")
    delivery.deliver()
    # Then the batch is split until the poison record is alone, which is retried MaximumRetryAttempts times
    delivered = _delivered_keys()
    assert delivered[0] == ["good-1", "bad", "good-2", "good-3"]
    assert delivered.count(["bad"]) == 1 + RETRIES
    assert ["good-1"] in delivered
    assert ["good-2", "good-3"] in delivered
    # And it is given up: Lambda's on-failure record of it (its place in the stream, not its data) is in the queue
    [failure] = local.failed_batches()
    assert failure["version"] == "1.0"
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == local.template.arn(FUNCTION_ID)
    assert failure["requestContext"]["approximateInvokeCount"] == 3 + RETRIES  # batch, half, itself + retries
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    info = failure["DDBStreamBatchInfo"]
    stream_arn = aws.dynamodb.describe_table(TableName=TABLE_ID)["Table"]["LatestStreamArn"]
    assert info["streamArn"] == stream_arn
    assert info["batchSize"] == 1
    bad_record = next(
        r for e in stream_recorder.received for r in e["Records"] if r["dynamodb"]["Keys"][KEY]["S"] == "bad"
    )
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == bad_record["dynamodb"]["SequenceNumber"]
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    # And the queue's depth is recorded, as SQS would, for the failed-batches alarm
    depth = local.metrics.values("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": QUEUE_ID}, 0, 1e12)
    assert depth == [1.0]
    # And later records still reach the function; the given-up one is not delivered again
    stream_recorder.received.clear()
    local.put("later")
    assert delivery.deliver() == 1
    assert _delivered_keys() == [["later"]]


def test_without_bisection_the_whole_batch_is_retried_then_given_up(aws: AwsClients, tmp_path: Path) -> None:
    local = Local(
        aws,
        tmp_path,
        _template(FilterCriteria={"Filters": []}, BisectBatchOnFunctionError=False, MaximumRetryAttempts=1),
    )
    delivery = local.start()
    local.put("good")
    local.put("bad", poison={"BOOL": True})
    delivery.deliver()
    assert _delivered_keys() == [["good", "bad"], ["good", "bad"]]
    [failure] = local.failed_batches()
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert failure["requestContext"]["approximateInvokeCount"] == 2


def test_the_loop_reads_the_streams_once_a_writer_ran_and_a_catch_up_is_at_once(
    aws: AwsClients, tmp_path: Path
) -> None:
    # Given the delivery's loop round, with a count of the tables' writers (Lambda invocations) that has not moved
    local = Local(aws, tmp_path)
    writes = [7]
    delivery = StreamDelivery(local.start().readers, lambda: writes[0])
    delivery.catch_up()
    local.count_visit()
    # When nothing ran since, the stream is not read (moto keeps every shard iterator it hands out)
    delivery.catch_up()
    assert delivery.delivered == 0
    # When a writer ran, the next round (the loop's or a catch-up before metrics are read) delivers the visit
    writes[0] += 1
    delivery.catch_up()
    assert delivery.delivered == 1
    assert _delivered_keys() == [[catalog.VISITS_ITEM_KEY]]


@pytest.mark.parametrize(
    ("pattern", "feature"),
    [
        ({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "visit"}]}}}}, "'prefix'"),
        ({"eventName": [{"anything-but": ["REMOVE"]}]}, "'anything-but'"),
        ({"dynamodb": {"NewImage": {"count": {"N": [{"numeric": [">", 0]}]}}}}, "'numeric'"),
        ({"dynamodb": {"OldImage": [{"exists": False}]}}, "'exists'"),
        ({"$or": [{"eventName": ["INSERT"]}, {"eventName": ["MODIFY"]}]}, "'$or'"),
        ({"eventName": [None]}, "null"),
        ({"eventName": "INSERT"}, '"INSERT"'),
    ],
)
def test_a_filter_pattern_feature_not_implemented_locally_is_refused_at_start(
    pattern: dict[str, Any], feature: str
) -> None:
    # Given a mapping whose filter uses a pattern feature the local runtime does not implement
    template = _template(FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    # When the system would start it (StreamDelivery.from_template reads the mappings first), then it refuses,
    # naming the mapping and the feature, rather than let through records Lambda would filter out
    with pytest.raises(UnsupportedMappingError) as refused:
        stream_mappings_from_template(template)
    assert MAPPING_ID in str(refused.value)
    assert feature in str(refused.value)


def test_other_settings_not_implemented_locally_are_refused_at_start() -> None:
    # Given mappings asking for what the local runtime does not do; then each is refused, naming the setting
    for overrides, named in (
        ({"StartingPosition": "TRIM_HORIZON"}, "TRIM_HORIZON"),
        ({"MaximumRetryAttempts": -1}, "MaximumRetryAttempts"),
        ({"FunctionResponseTypes": ["ReportBatchItemFailures"]}, "FunctionResponseTypes"),
    ):
        with pytest.raises(UnsupportedMappingError, match=named):
            stream_mappings_from_template(_template(**overrides))


def test_the_synthesized_templates_mapping_is_read_as_declared() -> None:
    # Given the synthesized template as it is, when its stream mappings are read
    [mapping] = stream_mappings_from_template(LocalTemplate(REAL))
    # Then the visits table's stream feeds the publisher with the declared batch, retries, queue and filter
    assert REAL["Resources"][TABLE_ID]["Type"] in TABLE_TYPES
    assert (mapping.logical_id, mapping.table_id, mapping.function_id) == (MAPPING_ID, TABLE_ID, FUNCTION_ID)
    assert (mapping.batch_size, mapping.retry_attempts, mapping.bisect_on_error) == (1000, RETRIES, True)
    assert mapping.on_failure_queue == QUEUE_ID
    totals = {"dynamodb": {"Keys": {KEY: {"S": catalog.VISITS_ITEM_KEY}}}}
    assert mapping.passes(totals)
    assert not mapping.passes({"dynamodb": {"Keys": {KEY: {"S": "salt#2026-12-01"}}}})


def test_filter_values_match_exactly_and_lists_by_any_element() -> None:
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"n": {"N": ["2"]}, "tags": {"SS": ["a"]}}}}
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": {"n": {"N": "2"}, "tags": {"SS": ["b", "a"]}}}}
    assert matches(pattern, record)
    assert not matches(pattern, record | {"eventName": "REMOVE"})
    assert not matches(pattern, {"eventName": "MODIFY", "dynamodb": {"NewImage": {"n": {"N": "2"}}}})  # missing
    assert not matches({"size": [1]}, {"size": "1"})  # a number is not its string
    assert matches({"size": [1]}, {"size": 1.0})
    assert not matches({"flag": [True]}, {"flag": 1})


def test_the_local_system_delivers_a_visit_from_the_stream_at_once_when_asked(local_system: LocalSystem) -> None:
    # Given the local system (`make dev`), its stream read from LATEST since it started
    before = local_system.streams.delivered
    # When a visit is counted through the local API and the streams are read now
    visit = requests.post(
        local_system.api_url + catalog.VISITS_PATH,
        headers={"user-agent": FIREFOX, "origin": local_system.site_origin},
        timeout=10,
    )
    assert visit.status_code == 200
    local_system.deliver_stream_records()
    # Then its one record of the totals item has reached the publisher, whoever (loop or caller) read it first
    assert local_system.streams.delivered == before + 1
    # And nothing more is delivered for it later
    assert local_system.deliver_stream_records() == 0
