"""What Lambda refuses before a function runs: an invocation over the function's reserved concurrency (throttled)
and an invocation of a function that no longer exists.

NOTE: beyond its reserved concurrency a function's invocations are throttled (TooManyRequestsException, counted in
`Throttles`, not `Invocations`): https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html. Locally a
function has one container, so with a reservation above 1 a burst is throttled sooner than on AWS (docs/local.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class LambdaRefusedError(Exception):
    """Lambda refused the invocation: the function never ran."""


class FunctionThrottledError(LambdaRefusedError):
    """TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded."""


class FunctionNotFoundError(LambdaRefusedError):
    """ResourceNotFoundException: the function was deleted (`LambdaRuntime.delete_function`)."""


class Reservation:
    """How many invocations of one function may be in flight (running or waiting for its container)."""

    def __init__(self, reserved: int | None) -> None:
        self.reserved = reserved
        self._in_flight = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, function_name: str) -> Iterator[int]:
        """Admits one invocation and yields how many are in flight with it; raises FunctionThrottledError when
        the reservation is used up."""
        with self._lock:
            if self.reserved is not None and self._in_flight >= self.reserved:
                raise FunctionThrottledError(
                    f"Rate Exceeded: {function_name} is at its reserved concurrency ({self.reserved})"
                )
            self._in_flight += 1
            in_flight = self._in_flight
        try:
            yield in_flight
        finally:
            with self._lock:
                self._in_flight -= 1
