"""HTTP shapes of the counter API: request body checks, JSON responses and the errors clients see.

Every answer is JSON; a client error never becomes a 500, and no traceback ever leaves the function.
The contract is docs/api/openapi.yaml, which the tests validate real responses against.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Final

MAX_BODY_BYTES: Final = 1024
"""POST /visits needs no body; a small JSON object is tolerated so clients can send `{}` or a visit id."""

VISIT_ID_FIELD: Final = "visit_id"
VISIT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""Matched whole (fullmatch: `$` would let a trailing newline through). What the site sends
(frontend/static/counter.js: a random UUID per visit, kept while the visit is retried)."""

RETRY_AFTER_SECONDS: Final = 2
"""What a 503 tells clients to wait: DynamoDB throttling clears within seconds for a counter this small."""

_JSON_HEADERS: Final = {
    "content-type": "application/json",
    # A count is live data: no browser or proxy cache may serve an old one.
    "cache-control": "no-store",
}


class ApiError(Exception):
    """An answer other than 200, with the status and a machine-readable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The HTTP API (payload v2) response for a JSON body."""
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


def error_response(error: ApiError) -> dict[str, Any]:
    return json_response(error.status, {"error": error.code, "message": error.message}, error.headers)


def visit_id_from_body(event: dict[str, Any]) -> str | None:
    """The client's id of this visit from an empty body or a small JSON object (None when it sent none);
    anything else is the client's error (400/413)."""
    raw = event.get("body")
    if not raw:
        return None
    # Checked before decoding so a huge body costs nothing to refuse (base64 is 4/3 of the bytes).
    if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
        raise _too_large()
    data = _decoded_body(raw, is_base64=bool(event.get("isBase64Encoded")))
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    if not data.strip():
        return None
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed_body", f"body is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ApiError(400, "malformed_body", "body must be a JSON object (or empty)")
    if VISIT_ID_FIELD not in parsed:
        return None
    visit_id = parsed[VISIT_ID_FIELD]
    # `null` is not a string either: the contract (docs/api/openapi.yaml) says the field, when sent, is one.
    if not isinstance(visit_id, str) or VISIT_ID_PATTERN.fullmatch(visit_id) is None:
        raise ApiError(400, "invalid_visit_id", f"{VISIT_ID_FIELD} must be 8 to 64 of A-Z, a-z, 0-9, '_' and '-'")
    return visit_id


def _decoded_body(raw: str, *, is_base64: bool) -> bytes:
    if not is_base64:
        return raw.encode()
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "malformed_body", "body is marked base64 but is not valid base64") from exc


def _too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"body must be at most {MAX_BODY_BYTES} bytes")
