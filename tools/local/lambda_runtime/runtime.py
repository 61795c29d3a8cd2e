"""The one in-process Lambda runtime: a template function invoked as Lambda invokes it, with its own environment,
context, log file and metrics, one invocation at a time per function (one container: docs/local.md says why).

NOTE: Lambda refuses an invocation beyond the reserved concurrency (TooManyRequestsException, counted in `Throttles`,
not `Invocations`): https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import boto3

from stack_model.functions import Function
from stack_model.stack import StackModel
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.lambda_runtime.events import LocalLambdaContext
from tools.local.lambda_runtime.per_thread import captured_stdout, function_environment, logs_to

Handler = Callable[[dict[str, Any], Any], Any]

ASSET_PACKAGE = "functions"
"""The Lambda asset's top-level package: what a new container imports anew."""
_imports = threading.Lock()
"""One fresh import at a time: it swaps the asset's modules in sys.modules, which no other import may see half-done."""
_running = threading.local()
"""The LocalFunction whose invocation this thread runs, if any (`_container_default_session`)."""
_process_default_session = boto3._get_default_session


def _container_default_session() -> boto3.session.Session:
    """boto3's default session, one per container as on Lambda. NOTE: boto3 keeps one in a module global, made with
    the credentials then in the environment: without this the first function to make a client would lend its keys
    (its role's rights, tools/local/iam.py) to every other."""
    function: LocalFunction | None = getattr(_running, "function", None)
    if function is None:
        return _process_default_session()
    if function.default_session is None:
        function.default_session = boto3.session.Session()  # in its environment: its keys, region, endpoint
    return function.default_session


boto3._get_default_session = _container_default_session


class LambdaRefusedError(Exception):
    """Lambda refused the invocation: the function never ran."""


class FunctionThrottledError(LambdaRefusedError):
    """TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded."""


@dataclass(frozen=True)
class Invocation:
    response: Any
    error: BaseException | None
    duration_ms: float

    @property
    def failed(self) -> bool:
        return self.error is not None


class LocalFunction:
    def __init__(
        self,
        spec: Function,
        *,
        platform: Mapping[str, str],
        metrics: MetricStore,
        log: TextIO,
        invoked: Callable[[], None] = lambda: None,
        printed_to_log: bool = False,
    ) -> None:
        """`platform`: what Lambda and the emulator put in every function's environment; `invoked`: called after
        each invocation; `printed_to_log`: what it printed (EMF) goes to its log too, as on Lambda (the cost
        measurement keeps the two apart)."""
        self.spec = spec
        self._metrics = metrics
        self._log = log
        self._printed_to_log = printed_to_log
        self._invoked = invoked
        self._one_at_a_time = threading.Lock()  # one container: Lambda runs one invocation in it at a time
        self._in_flight = 0  # running or waiting for the container: what a reserved concurrency caps
        self._in_flight_lock = threading.Lock()
        self._container: tuple[ModuleType, Handler] | None = None  # the warm container's module and handler
        self.default_session: boto3.session.Session | None = None
        self.environment: Mapping[str, str] = (
            dict(platform)
            | {
                "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            }
            | dict(spec.environment)
        )

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """One synchronous invocation; its error is the handler's exception or Lambda's refusal (LambdaRefusedError)."""
        name, reserved = self.spec.logical_id, self.spec.reserved_concurrency
        with self._in_flight_lock:
            throttled = reserved is not None and self._in_flight >= reserved
            if not throttled:
                self._in_flight += 1
            in_flight = self._in_flight
        if throttled:
            self._metrics.record("AWS/Lambda", "Throttles", {"FunctionName": name}, 1)
            error = FunctionThrottledError(f"Rate Exceeded: {name} is at its reserved concurrency ({reserved})")
            return Invocation(None, error, 0.0)
        try:
            return self._run(event, in_flight)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _run(self, event: dict[str, Any], in_flight: int) -> Invocation:
        context = LocalLambdaContext(
            function_name=self.spec.logical_id,
            memory_limit_in_mb=self.spec.memory_mb,
            timeout_seconds=self.spec.timeout_seconds,
        )
        with self._one_at_a_time, function_environment(self.environment), captured_stdout() as printed:
            _running.function = self
            try:
                module, handler = self._warm_container()
                with logs_to(module, self._log):
                    started = time.perf_counter()
                    response, error = None, None
                    try:
                        response = handler(event, context)
                    except Exception as exc:  # an unhandled error: Lambda logs it and counts it in Errors
                        error = exc
                        self._log_error(exc)
                    duration_ms = (time.perf_counter() - started) * 1000
                if self._printed_to_log:
                    self._log.write("".join(line + "\n" for line in printed.getvalue().splitlines() if line))
            finally:
                _running.function = None
            self._invoked()
        self._metrics.ingest_emf(printed.getvalue())
        self._record(duration_ms, in_flight, failed=error is not None)
        return Invocation(response, error, duration_ms)

    def invoke_async(self, event: dict[str, Any]) -> bool:
        """An asynchronous invocation, retried as its EventInvokeConfig says; False if all failed (the caller then
        sends the event to `spec.on_failure_queue`). Lambda's refusal of the Invoke call itself raises
        LambdaRefusedError."""
        return any(not self.invoke(event).failed for _attempt in range(1 + self.spec.async_retries))

    def _warm_container(self) -> tuple[ModuleType, Handler]:
        """The container's handler; the first invocation is the cold start that imports it."""
        if self._container is None:
            module = fresh_import(self.spec.module_name)
            self._container = module, getattr(module, self.spec.handler.rpartition(".")[2])
        return self._container

    def close(self, wait_seconds: float = 1.0) -> None:
        """Closes its log once no invocation writes to it; one still running after `wait_seconds` keeps it open (a
        stop must not wait for it)."""
        if self._one_at_a_time.acquire(timeout=wait_seconds):
            try:
                self._log.close()
            finally:
                self._one_at_a_time.release()

    def _log_error(self, error: BaseException) -> None:
        # The shape Lambda's Python runtime logs for an unhandled exception.
        record = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
        self._log.write(json.dumps(record) + "\n")

    def _record(self, duration_ms: float, in_flight: int, *, failed: bool) -> None:
        dimensions = {"FunctionName": self.spec.logical_id}
        record = self._metrics.record
        record("AWS/Lambda", "Invocations", dimensions, 1)
        record("AWS/Lambda", "Errors", dimensions, 1 if failed else 0)
        record("AWS/Lambda", "Throttles", dimensions, 0)  # it ran; a throttled one records 1 (invoke)
        record("AWS/Lambda", "Duration", dimensions, duration_ms, "Milliseconds")
        record("AWS/Lambda", "ConcurrentExecutions", dimensions, in_flight)


class LambdaRuntime:
    """The template's functions, each built once on first use; its log files live under `logs_dir`."""

    def __init__(
        self,
        model: StackModel,
        *,
        platform: Mapping[str, str],
        metrics: MetricStore,
        logs_dir: Path,
        local_environment: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """`local_environment`: function logical id → local stand-ins for values that exist only on AWS."""
        self._model = model
        self._local_environment = dict(local_environment or {})
        self._platform = dict(platform)
        self._metrics = metrics
        self._logs_dir = logs_dir
        self._functions: dict[str, LocalFunction] = {}
        self._lock = threading.Lock()
        self.invocations = 0  # ended; all the tables' writes come from them (the snapshots watch it)

    def function(self, logical_id: str) -> LocalFunction:
        with self._lock:
            if logical_id not in self._functions:
                spec = self._model.functions[logical_id]
                local = self._local_environment.get(logical_id, {})
                spec = replace(spec, environment={**spec.environment, **local})
                self._functions[logical_id] = self._build(spec)
            return self._functions[logical_id]

    def _build(self, spec: Function) -> LocalFunction:
        self._logs_dir.mkdir(parents=True, exist_ok=True)
        log = (self._logs_dir / f"{_short_name(spec.module_name)}.log").open("a", encoding="utf-8", buffering=1)
        return LocalFunction(
            spec, platform=self._platform, metrics=self._metrics, log=log, invoked=self._count, printed_to_log=True
        )

    def _count(self) -> None:
        with self._lock:
            self.invocations += 1

    def close(self, wait_seconds: float = 1.0) -> None:
        """Closes every function's log, waiting at most `wait_seconds` in all for invocations still running."""
        deadline = time.monotonic() + wait_seconds
        for function in list(self._functions.values()):
            function.close(max(0.0, deadline - time.monotonic()))


def fresh_import(module_name: str) -> ModuleType:
    """`module_name` imported as a new container imports it: the Lambda asset's modules anew; the process's own are
    put back afterwards."""
    packages = (ASSET_PACKAGE, module_name.rpartition(".")[0])

    def in_container(name: str) -> bool:
        return any(name == package or name.startswith(f"{package}.") for package in packages)

    with _imports:
        outside = {name: sys.modules.pop(name) for name in list(sys.modules) if in_container(name)}
        try:
            return importlib.import_module(module_name)
        finally:
            for name in [name for name in sys.modules if in_container(name)]:
                del sys.modules[name]
            sys.modules.update(outside)


def _short_name(module_name: str) -> str:
    """functions.counter.app → counter."""
    return module_name.removesuffix(".app").rsplit(".", 1)[-1]
