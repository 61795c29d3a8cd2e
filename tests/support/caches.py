"""Resets the Lambdas' cached factories between tests that call a handler directly, as a new container would start
(through the local runtime a new container is a fresh import: tools/local/lambda_runtime/runtime.py)."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def clear_cached_factories(*modules: ModuleType) -> None:
    """Every functools.cache factory of each module, found rather than listed: a list misses the next one added,
    and its client, made against an earlier test's endpoint, would be reused."""
    for module in modules:
        for factory in _cached_factories(module):
            factory.cache_clear()


def _cached_factories(module: ModuleType) -> list[Any]:
    return [
        value
        for value in vars(module).values()
        if getattr(value, "__module__", None) == module.__name__ and hasattr(value, "cache_info")
    ]
