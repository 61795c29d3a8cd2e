"""The counter's Lambda entry point, on moto, with real-shaped HTTP API v2 events."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.common import catalog
from functions.counter import app
from functions.counter.http import MAX_BODY_BYTES, RETRY_AFTER_SECONDS
from functions.counter.visits import VisitCounter
from tests.support.dynamodb_faults import on_key, refused
from tests.support.lambda_output import emitted_metrics, log_records
from tests.support.openapi import assert_matches_component, assert_matches_spec
from tests.unit.counter.conftest import CHROME, MAX_NETWORK_VIEWS, MAX_VIEWS, Invoke
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event


def _count(response: dict[str, object]) -> int:
    return int(json.loads(str(response["body"]))["count"])


def test_get_before_any_visit_answers_zero(invoke: Invoke) -> None:
    # Given an empty table / When the site reads the count
    response = invoke("GET")
    # Then it is 0, as documented
    assert response["statusCode"] == 200
    assert _count(response) == 0
    assert_matches_spec(response, "/visits", "GET")


def test_post_counts_each_visit_and_get_does_not(invoke: Invoke) -> None:
    # Given three visits
    counts = [_count(invoke("POST")) for _ in range(3)]
    # When the count is read twice
    reads = [_count(invoke("GET")) for _ in range(2)]
    # Then each POST answered the new count and reads did not increment it
    assert counts == [1, 2, 3]
    assert reads == [3, 3]


def test_post_response_matches_the_contract(invoke: Invoke) -> None:
    response = invoke("POST")
    assert response["statusCode"] == 200
    assert response["headers"]["cache-control"] == "no-store"
    assert_matches_spec(response, "/visits", "POST")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("{}", {"content-type": "application/json"}),
        ('{"page": "/"}', {"content-type": "application/json"}),
        (b'{"page": "/"}', {"content-type": "application/octet-stream"}),  # arrives base64-encoded
        ("   ", {}),
    ],
)
def test_post_accepts_an_empty_or_small_json_object_body(
    invoke: Invoke, body: str | bytes, headers: dict[str, str]
) -> None:
    response = invoke("POST", body=body, headers=headers)
    assert response["statusCode"] == 200
    assert _count(response) == 1


@pytest.mark.parametrize(
    ("body", "is_base64", "status", "code"),
    [
        ("{not json", False, 400, "malformed_body"),
        ("[1, 2]", False, 400, "malformed_body"),
        ('"a string"', False, 400, "malformed_body"),
        ('{"visit_id": null}', False, 400, "invalid_visit_id"),
        ('{"visit_id": 12345678}', False, 400, "invalid_visit_id"),
        ('{"visit_id": "visit-0001\\n"}', False, 400, "invalid_visit_id"),  # `$` would accept the newline
        ('{"visit_id": "short"}', False, 400, "invalid_visit_id"),
        ("%%%not-base64%%%", True, 400, "malformed_body"),
        (base64.b64encode(b"\xff\xfe\x00").decode(), True, 400, "malformed_body"),
        ("{" + " " * MAX_BODY_BYTES + "}", False, 413, "body_too_large"),
        ("x" * 1_000_000, False, 413, "body_too_large"),
        (base64.b64encode(b"{" + b" " * MAX_BODY_BYTES + b"}").decode(), True, 413, "body_too_large"),
    ],
)
def test_bad_post_body_is_a_client_error_and_counts_nothing(
    invoke: Invoke, body: str, is_base64: bool, status: int, code: str
) -> None:
    # Given a request whose body the API refuses
    event = http_api_event("POST", "/visits", body=body)
    event["isBase64Encoded"] = is_base64
    # When it is handled
    response = app.lambda_handler(event, _context())
    # Then the client gets a JSON error naming the problem, and no visit was counted
    assert response["statusCode"] == status
    assert json.loads(response["body"])["error"] == code
    assert_matches_spec(response, "/visits", "POST")
    assert _count(invoke("GET")) == 0


@pytest.mark.parametrize(
    ("status", "message"), [(429, "Too Many Requests"), (500, "Internal Server Error")], ids=["throttled", "failed"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_api_gateways_own_answers_are_documented(method: str, status: int, message: str) -> None:
    # Given the answer API Gateway sends itself when its stage throttles, or when the Lambda fails
    answer = {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": message}),
    }
    # Then the contract documents it for both operations
    assert_matches_spec(answer, "/visits", method)


def test_unknown_route_is_404_json(invoke: Invoke) -> None:
    response = invoke("GET", "/admin")
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"] == "not_found"
    assert_matches_component(response, "NotFound")


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_wrong_method_is_405_with_allowed_methods(invoke: Invoke, method: str) -> None:
    response = invoke(method)
    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "GET, POST"
    assert_matches_component(response, "MethodNotAllowed")
    assert _count(invoke("GET")) == 0


@pytest.mark.parametrize(
    "error_code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_dynamodb_throttle_answers_503_with_retry_after_and_no_count(
    invoke: Invoke, lambda_stdout: Callable[[], str], error_code: str
) -> None:
    # Given DynamoDB refuses the visit's gate write
    counter = app.visit_counter()
    with refused(counter.client, "UpdateItem", error_code, when=on_key(catalog.NETWORK_KEY_PREFIX)):
        # When a visit is posted
        response = invoke("POST")
    # Then the visitor gets a 503 that says when to retry, that the visit may not be counted and that a retry
    # is safe, and no count at all
    assert response["statusCode"] == 503
    assert response["headers"]["retry-after"] == str(RETRY_AFTER_SECONDS)
    body = json.loads(response["body"])
    assert "count" not in body
    assert "may not have been counted" in body["message"]
    assert "retrying it" in body["message"]
    assert_matches_spec(response, "/visits", "POST")
    # And the failure is logged and counted as a metric
    output = lambda_stdout()
    assert any(record["level"] == "ERROR" for record in log_records(output))
    assert [m.name for m in emitted_metrics(output)] == [catalog.STORE_FAILURES_METRIC]
    # And nothing was counted
    assert _count(invoke("GET")) == 0


def _connection_refused(request: AWSPreparedRequest, **_: object) -> None:
    raise EndpointConnectionError(endpoint_url=request.url)


def test_unreachable_dynamodb_answers_503(visits_table: str) -> None:
    # Given a DynamoDB endpoint nobody listens on: botocore raises what it raises on a refused connection, offline
    dead = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9", config=app._DYNAMODB_CONFIG)
    dead.meta.events.register("before-send.dynamodb.*", _connection_refused)
    counter = VisitCounter(
        client=dead,
        table_name=visits_table,
        max_views_per_day=MAX_VIEWS,
        max_views_per_network_per_day=MAX_NETWORK_VIEWS,
    )
    # When the count is read
    response = app.handle(http_api_event("GET", "/visits"), lambda: counter)
    # Then the answer is a clean 503
    assert response["statusCode"] == 503
    assert_matches_spec(response, "/visits", "GET")


def test_misconfigured_table_fails_the_invocation_without_leaking_details(
    visits_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the function points at a table that does not exist (a deploy mistake, not the visitor's)
    monkeypatch.setenv(catalog.TABLE_NAME_ENV, "no-such-table")
    app.visit_counter.cache_clear()
    # Then the invocation fails, so Lambda counts an error and the errors alarm can fire;
    # API Gateway answers the visitor its own JSON 500 without the exception.
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        app.lambda_handler(http_api_event("POST", "/visits", headers={"user-agent": CHROME}), _context())


def test_a_plain_200_writes_no_log_line_and_an_error_one_with_its_correlation_id(
    invoke: Invoke, lambda_stdout: Callable[[], str]
) -> None:
    # Given a container's first request (a cold start), then requests answered 200, 400 and 404
    app._log_cold_start.cache_clear()
    invoke("POST", request_id="req-one")
    invoke("GET", request_id="req-two")
    invoke("POST", request_id="req-bad", body="{bad")
    invoke("GET", "/nowhere", request_id="req-lost")
    records = log_records(lambda_stdout())
    # Then the cold start has its one line, with the handler's import time
    (cold,) = [r for r in records if r["message"] == catalog.COLD_START_LOG_MESSAGE]
    assert cold["correlation_id"] == "req-one"
    assert cold[catalog.IMPORT_MS_LOG_KEY] > 0
    # And only the requests not answered 2xx have a line: method, path and status, under their correlation id
    errors = [r for r in records if r["message"] != catalog.COLD_START_LOG_MESSAGE]
    assert [(r["correlation_id"], r["path"], r["status"]) for r in errors] == [
        ("req-bad", "/visits", 400),
        ("req-lost", "/nowhere", 404),
    ]
    assert all(r["service"] == catalog.COUNTER_SERVICE for r in errors)


def test_each_counted_visit_emits_visits_and_a_first_one_unique_visitors_on_the_fixed_dimension(
    invoke: Invoke, lambda_stdout: Callable[[], str]
) -> None:
    # Given one visitor's two visits (two browser sessions), a read and a refused request
    invoke("POST", source_ip="198.51.100.7", body='{"visit_id": "session-one"}')
    invoke("POST", source_ip="198.51.100.7", body='{"visit_id": "session-two"}')
    invoke("GET")
    invoke("POST", body="{bad")
    metrics = emitted_metrics(lambda_stdout())
    # Then two views and one unique visitor are emitted; reads and refused requests emit nothing
    assert sorted((m.name, m.value) for m in metrics) == [
        (catalog.UNIQUE_VISITORS_METRIC, 1.0),
        (catalog.VISITS_METRIC, 1.0),
        (catalog.VISITS_METRIC, 1.0),
    ]
    # And all on the one fixed dimension the dashboard reads
    assert {(m.namespace, m.unit) for m in metrics} == {(catalog.METRICS_NAMESPACE, "Count")}
    assert all(m.dimensions == {catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE} for m in metrics)


def test_a_counted_visit_prints_one_emf_document_with_both_metrics_and_nothing_else(
    invoke: Invoke, lambda_stdout: Callable[[], str]
) -> None:
    # Given a warm container (its cold-start line already written)
    invoke("GET")
    lambda_stdout()
    # When a visitor's first view of the day is counted
    response = invoke("POST", source_ip="198.51.100.9", body='{"visit_id": "first-view"}')
    # Then the whole of what the counter printed is one EMF document carrying Visits and UniqueVisitors
    assert response["statusCode"] == 200
    lines = lambda_stdout().splitlines()
    assert len(lines) == 1
    assert sorted(m.name for m in emitted_metrics(lines[0])) == [
        catalog.UNIQUE_VISITORS_METRIC,
        catalog.VISITS_METRIC,
    ]
    assert log_records(lines[0]) == []


@pytest.mark.parametrize("refused_key", [catalog.NETWORK_KEY_PREFIX, catalog.VISITS_ITEM_KEY])
def test_a_visit_whose_store_fails_emits_no_visit_metric(
    invoke: Invoke, lambda_stdout: Callable[[], str], refused_key: str
) -> None:
    # Given DynamoDB refuses the gate write or the totals write (the visit is not stored)
    counter = app.visit_counter()
    with refused(counter.client, "UpdateItem", "ThrottlingException", when=on_key(refused_key)):
        # When a visit is posted
        response = invoke("POST", body='{"visit_id": "refused-visit"}')
    # Then it is answered 503 and only the store failure is published: no view and no visitor on the graphs
    assert response["statusCode"] == 503
    assert [m.name for m in emitted_metrics(lambda_stdout())] == [catalog.STORE_FAILURES_METRIC]


def test_ignored_and_repeated_visits_emit_no_visit_metric(invoke: Invoke, lambda_stdout: Callable[[], str]) -> None:
    # Given a crawler, a visit retried after it was counted, and views beyond the visitor's daily limit
    invoke("POST", headers={"user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    for visit_id in ["session-one", "session-one", *(f"session-{n:03}" for n in range(MAX_VIEWS))]:
        invoke("POST", source_ip="198.51.100.10", body=json.dumps({"visit_id": visit_id}))
    # Then only the visitor's counted views (the daily limit) are published as Visits, one UniqueVisitors
    names = [m.name for m in emitted_metrics(lambda_stdout())]
    assert names.count(catalog.VISITS_METRIC) == MAX_VIEWS
    assert names.count(catalog.UNIQUE_VISITORS_METRIC) == 1
    # And the crawler and the views over the limit as IgnoredVisits instead
    assert names.count(catalog.IGNORED_VISITS_METRIC) == 2 * 2  # each on {service} and by reason


def test_an_invalid_visit_id_is_a_client_error_and_counts_nothing(invoke: Invoke) -> None:
    for visit_id in ('"short"', '"has spaces in it"', "12345678901", '"' + "x" * 65 + '"'):
        response = invoke("POST", body=f'{{"visit_id": {visit_id}}}')
        assert response["statusCode"] == 400
        assert json.loads(response["body"])["error"] == "invalid_visit_id"
        assert_matches_spec(response, "/visits", "POST")
    assert _count(invoke("GET")) == 0


def test_answers_carry_total_unique_and_today_figures(invoke: Invoke) -> None:
    # Given two visitors, one of whom comes back in a new session
    for ip, visit_id in (
        ("198.51.100.1", "visit-aaaa"),
        ("198.51.100.2", "visit-bbbb"),
        ("198.51.100.1", "visit-cccc"),
    ):
        invoke("POST", source_ip=ip, body=json.dumps({"visit_id": visit_id}))
    # When the figures are read
    response = invoke("GET")
    # Then views, unique visitors and today's figures are all there
    assert json.loads(response["body"]) == {
        "count": 3,
        "unique_visitors": 2,
        "today": {"count": 3, "unique_visitors": 2},
    }
    assert_matches_spec(response, "/visits", "GET")
    assert MAX_VIEWS >= 2


def _context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="visit-counter")
