"""A deleted function, as Lambda refuses it (`aws lambda delete-function`): SNS's Invoke call fails with
ResourceNotFoundException, which the local fan-out counts as a refused delivery (tools/local/sns.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

from tools.local.lambda_runtime.runtime import LambdaRefusedError, LocalFunction


class FunctionNotFoundError(LambdaRefusedError):
    """ResourceNotFoundException: the function was deleted."""


@contextmanager
def deleted(function: LocalFunction) -> Iterator[None]:
    """The function deleted until the block ends (then deployed again): every asynchronous invocation is refused."""
    refusal = FunctionNotFoundError(f"Function not found: {function.spec.logical_id}")
    with patch.object(function, "invoke_async", side_effect=refusal):
        yield
