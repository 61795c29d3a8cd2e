"""What Lambda refuses before a function runs: an invocation over the function's reserved concurrency (throttled)
and an invocation of a function that no longer exists.

NOTE: a function's concurrency is the number of its invocations in flight at once; with reserved concurrency set
(`ReservedConcurrentExecutions` in the template, config `counter_reserved_concurrency`), "if the function reaches
the limit, additional requests are throttled" with TooManyRequestsException (429) and counted in the function's
`Throttles` metric, not in `Invocations`
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
Locally a function has one container, so the invocations admitted run one after another: with a reservation of 1
that is what AWS does; with more, AWS would run them side by side, while locally the later ones wait, stay in flight
longer, and a burst is throttled sooner than on AWS.
Without a reservation nothing is throttled (the account's 1,000 are never reached here).
NOTE: the local API answers any invocation that failed, a refused one included, with HTTP APIs' own
`500 {"message":"Internal Server Error"}` (gateway.py): "if the backend service throttled because of a high number
of requests, then the API Gateway API might return an Internal server error"
(https://repost.aws/knowledge-center/api-gateway-internal-server-error).
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
