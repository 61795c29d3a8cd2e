"""DynamoDB failures injected at the client, around the real emulator: a refused request, or a lost answer.

Botocore lets a `before-call` handler answer instead of the service (the request is then never sent) and lets an
`after-call` handler raise once the service has answered (the write was applied, the client never learns it).
These are AWS's behaviours being simulated, not the project's code being replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError

Match = Callable[[dict[str, Any]], bool]


def on_key(pk: str) -> Match:
    """Matches requests on the item whose partition key is `pk` (or starts with it, for `prefix#`)."""
    return lambda request: str(request.get("Key", {}).get("pk", {}).get("S", "")).startswith(pk)


@contextmanager
def refused(client: Any, operation: str, code: str, *, when: Match, times: int = 1) -> Iterator[list[int]]:
    """DynamoDB refuses the next `times` matching calls with `code` (not applied). Yields [calls refused]."""
    refusals = [0]
    status = 500 if code in {"InternalServerError", "ServiceUnavailable"} else 400

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if refusals[0] >= times or not when(json.loads(params["body"])):
            return None
        refusals[0] += 1
        parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse(params["url"], status, HTTPHeaders(), None), parsed

    event = f"before-call.dynamodb.{operation}"
    client.meta.events.register(event, answer)
    try:
        yield refusals
    finally:
        client.meta.events.unregister(event, answer)


@contextmanager
def answer_lost(client: Any, operation: str, *, when: Match, times: int = 1) -> Iterator[list[int]]:
    """The next `times` matching calls are applied, but the client times out before the answer arrives."""
    lost = [0]
    pending: list[bool] = []

    def mark(params: dict[str, Any], **_: Any) -> None:
        pending.append(lost[0] < times and when(json.loads(params["body"])))

    def lose(http_response: AWSResponse, **_: Any) -> None:
        # Only an applied write's answer: a refusal (say, a failed condition) applied nothing to lose.
        if pending.pop() and http_response.status_code < 300:
            lost[0] += 1
            raise ReadTimeoutError(endpoint_url="injected")

    before, after = f"before-call.dynamodb.{operation}", f"after-call.dynamodb.{operation}"
    client.meta.events.register(before, mark)
    client.meta.events.register(after, lose)
    try:
        yield lost
    finally:
        client.meta.events.unregister(before, mark)
        client.meta.events.unregister(after, lose)
