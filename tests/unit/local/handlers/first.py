"""A stand-in handler: what it saw in os.environ when imported, on first use and while invoked."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

SEEN_AT_IMPORT = dict(os.environ)


@cache
def settings() -> dict[str, str]:
    """Like a handler's cached client factory: read once per container."""
    return dict(os.environ)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    if "meanwhile" in event:  # lets a test act on another thread while this invocation runs
        event["meanwhile"]()
    os.environ["WRITTEN_BY_A_FUNCTION"] = "1"
    return {
        "now": dict(os.environ),
        "at_import": SEEN_AT_IMPORT,
        "first_use": settings(),
        "function": context.function_name,
    }
