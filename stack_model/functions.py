"""Lambda functions as the template declares them, with their asynchronous invocation settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from stack_model.template import LocalTemplate, referenced

LAMBDA_DEFAULT_RETRIES: Final = 2
"""Lambda's default for asynchronous invocations (SNS → Lambda) without an EventInvokeConfig."""


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    memory_mb: int
    timeout_seconds: float
    environment: Mapping[str, str]
    """Its variables, references resolved to local names."""
    role: str | None
    """The logical id of its execution role."""
    log_group: str | None
    """The log group its LoggingConfig names, resolved (its logical id)."""
    architecture: str
    tracing: str
    """TracingConfig.Mode: Active (Lambda samples and records traces itself) or PassThrough (the default)."""
    platform_logs: bool
    """Lambda writes its start and report lines for each invocation: the system log level is INFO (the default)
    or DEBUG, not WARN. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html"""
    async_retries: int = LAMBDA_DEFAULT_RETRIES
    on_failure_queue: str | None = None
    """Where a failed asynchronous event goes: the EventInvokeConfig's on-failure destination, else the function's
    dead-letter queue (logical id), else nowhere."""
    reserved_concurrency: int | None = None
    """ReservedConcurrentExecutions: at most this many invocations in flight, beyond it throttled."""

    @property
    def module_name(self) -> str:
        return self.handler.rpartition(".")[0]


def read_functions(template: LocalTemplate) -> dict[str, Function]:
    invoke_configs = {
        referenced(props.get("FunctionName")): props for _, props in template.each("AWS::Lambda::EventInvokeConfig")
    }
    return {
        lid: _function(template, lid, invoke_configs.get(lid, {})) for lid in template.of_type("AWS::Lambda::Function")
    }


def _function(template: LocalTemplate, logical_id: str, invoke_config: Mapping[str, Any]) -> Function:
    props = template.properties(logical_id)
    variables = props.get("Environment", {}).get("Variables", {})
    logging = props.get("LoggingConfig", {})
    on_failure = referenced(invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
    reserved = props.get("ReservedConcurrentExecutions")
    return Function(
        logical_id=logical_id,
        handler=str(props.get("Handler", "")),
        memory_mb=int(props.get("MemorySize", 128)),
        timeout_seconds=float(props.get("Timeout", 3)),
        environment={name: template.resolve(value) for name, value in variables.items()},
        role=referenced(props.get("Role")),
        log_group=template.resolve(logging["LogGroup"]) if "LogGroup" in logging else None,
        architecture=str((props.get("Architectures") or ["x86_64"])[0]),
        tracing=str(props.get("TracingConfig", {}).get("Mode", "PassThrough")),
        platform_logs=logging.get("SystemLogLevel", "INFO") != "WARN",
        async_retries=int(str(invoke_config.get("MaximumRetryAttempts", LAMBDA_DEFAULT_RETRIES))),
        on_failure_queue=on_failure or referenced(props.get("DeadLetterConfig", {}).get("TargetArn")),
        reserved_concurrency=None if reserved is None else int(str(reserved)),
    )
