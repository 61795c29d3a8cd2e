"""The one local Lambda runtime: each function runs with its own environment, records the same metrics whoever
invokes it, starts cold when its container is not warm, and retries asynchronous invocations."""

from __future__ import annotations

import importlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from stack_model.stack import StackModel
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.lambda_runtime.runtime import LambdaRuntime

HANDLERS = "tests.unit.local.handlers"
PLATFORM = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_DEFAULT_REGION": "us-east-1"}
LAMBDA_METRICS = ["ConcurrentExecutions", "Duration", "Errors", "Invocations", "Throttles"]


def _function(module: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": f"{HANDLERS}.{module}.lambda_handler",
            "MemorySize": 256,
            "Timeout": 5,
            "Environment": {"Variables": variables},
        },
    }


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "First": _function("first", {"ONLY_FIRST": "1", "TABLE_NAME": {"Ref": "Table"}}),
        "Second": _function("second", {"ONLY_SECOND": "2"}),
        "SecondRetries": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {"FunctionName": {"Ref": "Second"}, "MaximumRetryAttempts": 1},
        },
    }
}


@pytest.fixture
def runtime(tmp_path: Path) -> LambdaRuntime:
    return LambdaRuntime(
        StackModel.from_template(TEMPLATE), platform=PLATFORM, metrics=MetricStore(), logs_dir=tmp_path
    )


def test_each_function_sees_its_own_environment_only_while_it_runs(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a developer's shell with AWS settings of its own
    monkeypatch.setenv("AWS_PROFILE", "my-real-account")
    before = dict(os.environ)
    # When each function is invoked
    first = runtime.function("First").invoke({}).response
    second = runtime.function("Second").invoke({}).response
    # Then each saw its template variables (references resolved to local names), the platform's, and its name
    assert first["now"]["ONLY_FIRST"] == "1"
    assert first["now"]["TABLE_NAME"] == "Table"
    assert first["now"]["AWS_ENDPOINT_URL"] == PLATFORM["AWS_ENDPOINT_URL"]
    assert first["now"]["AWS_LAMBDA_FUNCTION_NAME"] == "First"
    assert first["now"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    # And nothing of the other function's, nor the shell's AWS settings
    assert "ONLY_SECOND" not in first["now"]
    assert "ONLY_FIRST" not in second["now"]
    assert "AWS_PROFILE" not in first["now"]
    assert "AWS_SESSION_TOKEN" not in second["now"]  # set by tests/conftest.py, as a shell may
    # And the process's own environment is as it was
    assert dict(os.environ) == before


def test_a_handler_imported_through_the_runtime_reads_its_environment_at_import_and_first_use(
    runtime: LambdaRuntime,
) -> None:
    # Given a handler module the process imported itself, outside any function's environment
    outside = importlib.import_module(f"{HANDLERS}.second")
    # When the runtime invokes it
    response = runtime.function("Second").invoke({}).response
    # Then its container imported it anew: what it read at import and on first use was its own environment
    assert response["at_import"]["ONLY_SECOND"] == "2"
    assert response["first_use"]["AWS_LAMBDA_FUNCTION_NAME"] == "Second"
    assert "ONLY_SECOND" not in os.environ
    # And the process's own import is untouched
    assert importlib.import_module(f"{HANDLERS}.second") is outside
    assert "ONLY_SECOND" not in outside.SEEN_AT_IMPORT


def test_concurrent_invocations_never_see_each_others_environment(runtime: LambdaRuntime) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    def invoke(function_id: str) -> None:
        for _ in range(50):
            seen.append((function_id, runtime.function(function_id).invoke({}).response["now"]))

    threads = [threading.Thread(target=invoke, args=(function_id,)) for function_id in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 100
    for function_id, environment in seen:
        assert environment["AWS_LAMBDA_FUNCTION_NAME"] == function_id
        assert ("ONLY_FIRST" in environment) == (function_id == "First")
        assert ("ONLY_SECOND" in environment) == (function_id == "Second")


def test_every_invocation_records_the_lambda_metrics_and_an_error_is_logged(tmp_path: Path) -> None:
    metrics = MetricStore()
    runtime = LambdaRuntime(StackModel.from_template(TEMPLATE), platform=PLATFORM, metrics=metrics, logs_dir=tmp_path)
    # When a function succeeds once and fails once
    assert not runtime.function("First").invoke({}).failed
    failed = runtime.function("First").invoke({"fail": True})
    # Then the failure is the invocation's error, in Errors and in the function's log as Lambda writes it
    assert isinstance(failed.error, RuntimeError)
    points = [p for p in metrics.series() if p.namespace == "AWS/Lambda"]
    assert sorted({p.name for p in points}) == LAMBDA_METRICS
    assert all(p.dimensions == (("FunctionName", "First"),) for p in points)
    assert [p.value for p in points if p.name == "Errors"] == [0, 1]
    assert [p.value for p in points if p.name == "Invocations"] == [1, 1]
    runtime.close()
    (logged,) = [json.loads(line) for line in (tmp_path / "first.log").read_text().splitlines()]
    assert logged["errorType"] == "RuntimeError"
    assert logged["errorMessage"] == "asked to fail"


def test_a_warm_container_keeps_its_cache_whoever_else_uses_the_module_and_a_new_one_starts_cold(
    runtime: LambdaRuntime, tmp_path: Path
) -> None:
    function = runtime.function("First")
    # Given a warm container: its cached settings survive between invocations
    cached = function.invoke({}).response["first_use"]
    assert function.invoke({}).response["first_use"] is cached
    # When someone else uses the module directly (a test, another system)
    module = importlib.import_module(f"{HANDLERS}.first")
    module.settings.cache_clear()
    module.settings()
    # Then the container is not theirs: it stays warm
    assert function.invoke({}).response["first_use"] is cached
    # And another runtime's container (a new one) starts cold, reading its settings under its own environment
    other = LambdaRuntime(
        StackModel.from_template(TEMPLATE), platform=PLATFORM, metrics=MetricStore(), logs_dir=tmp_path / "b"
    )
    fresh = other.function("First").invoke({}).response["first_use"]
    assert fresh is not cached
    assert fresh["ONLY_FIRST"] == "1"
    other.close()


def test_an_asynchronous_invocation_is_retried_as_its_event_invoke_config_says(tmp_path: Path) -> None:
    metrics = MetricStore()
    runtime = LambdaRuntime(StackModel.from_template(TEMPLATE), platform=PLATFORM, metrics=metrics, logs_dir=tmp_path)
    second = runtime.function("Second")
    assert second.spec.async_retries == 1
    # When every attempt fails
    assert second.invoke_async({"fail": True}) is False
    # Then it was attempted once and retried once; and a working one is invoked once
    assert second.invoke_async({}) is True
    invocations = [p.value for p in metrics.series() if p.name == "Invocations"]
    errors = [p.value for p in metrics.series() if p.name == "Errors"]
    assert (len(invocations), errors) == (3, [1, 1, 0])


def test_another_thread_changing_the_environment_during_an_invocation_neither_leaks_nor_is_lost(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an invocation running on another thread (as the alarm loop runs the notifier)
    running, release = threading.Event(), threading.Event()

    def meanwhile() -> None:
        running.set()
        release.wait(5)

    result: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: result.append(runtime.function("First").invoke({"meanwhile": meanwhile}).response)
    )
    thread.start()
    assert running.wait(5)
    # When this thread changes the process's environment meanwhile (as a test's monkeypatch does)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    release.set()
    thread.join()
    # Then the function saw only its own, this thread keeps its change, and the function's own write stayed its own
    assert result[0]["now"]["AWS_ENDPOINT_URL"] == PLATFORM["AWS_ENDPOINT_URL"]
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"
    assert "WRITTEN_BY_A_FUNCTION" not in os.environ
    monkeypatch.undo()
    assert "AWS_ENDPOINT_URL" not in os.environ
