"""A Lambda's required settings, read from its environment (the function's construct in infra/ sets each)."""

from __future__ import annotations

import os


def required_env(name: str) -> str:
    """The variable's value; a missing or empty one fails the cold start, naming it (never a silent default)."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value
