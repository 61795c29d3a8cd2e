"""One Lambda function as the synthesized template declares it, with references resolved to local names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from stack_model.template import LocalTemplate, referenced

LAMBDA_DEFAULT_RETRIES: Final = 2  # Lambda's default for asynchronous invocations (SNS → Lambda)


@dataclass(frozen=True)
class FunctionSpec:
    """What the template says about one function, with references resolved to local names."""

    logical_id: str
    handler: str
    memory_mb: int
    timeout_seconds: float
    environment: Mapping[str, str]
    async_retries: int
    on_failure_queue: str | None
    reserved_concurrency: int | None = None
    """ReservedConcurrentExecutions: at most this many invocations in flight, beyond it throttled (concurrency.py)."""

    @classmethod
    def from_template(cls, template: LocalTemplate, logical_id: str) -> FunctionSpec:
        props = template.properties(logical_id)
        retries, on_failure = LAMBDA_DEFAULT_RETRIES, None
        for config in template.of_type("AWS::Lambda::EventInvokeConfig").values():
            if referenced(config["Properties"]["FunctionName"]) == logical_id:
                retries = int(config["Properties"].get("MaximumRetryAttempts", LAMBDA_DEFAULT_RETRIES))
                destination = config["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
                on_failure = referenced(destination.get("Destination"))
        if on_failure is None:
            on_failure = referenced(props.get("DeadLetterConfig", {}).get("TargetArn"))
        return cls(
            logical_id=logical_id,
            handler=props["Handler"],
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_seconds=float(props.get("Timeout", 3)),
            environment=template.environment(logical_id),
            async_retries=retries,
            on_failure_queue=on_failure,
            reserved_concurrency=_optional_int(props.get("ReservedConcurrentExecutions")),
        )

    @property
    def module_name(self) -> str:
        return self.handler.rpartition(".")[0]


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))
