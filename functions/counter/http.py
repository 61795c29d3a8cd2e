"""HTTP shapes of the counter API: request body checks, JSON responses and the errors clients see.

Every answer is JSON; a client error never becomes a 500, and no traceback ever leaves the function.
The contract is docs/api/openapi.yaml, which the tests validate real responses against.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from functions.common.catalog import LINK_CODE_PATTERN

MAX_BODY_BYTES: Final = 1024
"""POST /visits needs no body; a small JSON object carries the visit's id, referrer, link code and kind."""

VISIT_ID_FIELD: Final = "visit_id"
VISIT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""Matched whole (fullmatch: `$` would let a trailing newline through). What the site sends
(frontend/static/counter.js: a random UUID per visit, kept while the visit is retried)."""
REFERRER_FIELD: Final = "referrer"
MAX_REFERRER_CHARS: Final = 800
"""A referrer is reduced to its host at once; a longer one is not a browser's `document.referrer` worth the bytes."""
REF_FIELD: Final = "ref"
LINK_CODE: Final = re.compile(LINK_CODE_PATTERN)
KIND_FIELD: Final = "kind"
KIND_VIEW: Final = "view"
KIND_DOWNLOAD: Final = "download"
KINDS: Final = (KIND_VIEW, KIND_DOWNLOAD)
_FIELDS: Final[dict[str, tuple[Callable[[str], bool], str, str]]] = {
    VISIT_ID_FIELD: (
        lambda value: VISIT_ID_PATTERN.fullmatch(value) is not None,
        "invalid_visit_id",
        f"{VISIT_ID_FIELD} must be 8 to 64 of A-Z, a-z, 0-9, '_' and '-'",
    ),
    REFERRER_FIELD: (
        lambda value: len(value) <= MAX_REFERRER_CHARS,
        "invalid_referrer",
        f"{REFERRER_FIELD} must be a string of at most {MAX_REFERRER_CHARS} characters",
    ),
    REF_FIELD: (
        lambda value: LINK_CODE.fullmatch(value) is not None,
        "invalid_ref",
        f"{REF_FIELD} must be 1 to 40 of a-z, 0-9 and '-', starting with a letter or digit",
    ),
    KIND_FIELD: (lambda value: value in KINDS, "invalid_kind", f"{KIND_FIELD} must be one of {', '.join(KINDS)}"),
}
"""Each field's check, error code and message (a message never echoes the value: a referrer must not reach a log
or an answer)."""

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


@dataclass(frozen=True)
class VisitRequest:
    """What a POST /visits asked for (docs/api/openapi.yaml, VisitRequest); every field optional."""

    visit_id: str | None = None
    referrer: str | None = None
    """`document.referrer` as the page saw it: reduced to a source at once (sources.py), never kept."""
    ref: str | None = None
    """An application link's code (catalog.LINK_CODE_PATTERN)."""
    download: bool = False
    """`kind: "download"`: the résumé was downloaded (not a page view)."""


def visit_request_from_body(event: dict[str, Any]) -> VisitRequest:
    """The visit a client posted, from an empty body or a small JSON object; anything else is the client's error
    (400/413)."""
    raw = event.get("body")
    if not raw:
        return VisitRequest()
    # Checked before decoding so a huge body costs nothing to refuse (base64 is 4/3 of the bytes).
    if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
        raise _too_large()
    data = _decoded_body(raw, is_base64=bool(event.get("isBase64Encoded")))
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    if not data.strip():
        return VisitRequest()
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed_body", f"body is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ApiError(400, "malformed_body", "body must be a JSON object (or empty)")
    fields = {name: _field(parsed, name) for name in _FIELDS}
    return VisitRequest(
        visit_id=fields[VISIT_ID_FIELD],
        referrer=fields[REFERRER_FIELD],
        ref=fields[REF_FIELD],
        download=fields[KIND_FIELD] == KIND_DOWNLOAD,
    )


def _field(parsed: dict[str, Any], name: str) -> str | None:
    """The field's value (None when absent); `null` or another type is an error too: the contract says a field,
    when sent, is a string of its shape."""
    if name not in parsed:
        return None
    value = parsed[name]
    check, code, message = _FIELDS[name]
    if not isinstance(value, str) or not check(value):
        raise ApiError(400, code, message)
    return value


def _decoded_body(raw: str, *, is_base64: bool) -> bytes:
    if not is_base64:
        return raw.encode()
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "malformed_body", "body is marked base64 but is not valid base64") from exc


def _too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"body must be at most {MAX_BODY_BYTES} bytes")
