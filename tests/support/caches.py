"""Resets the Lambdas' cached factories between tests, as a new container would start."""

from __future__ import annotations

from types import ModuleType

from tools.local.lambda_runtime.runtime import cached_factories


def clear_cached_factories(*modules: ModuleType) -> None:
    """Every functools.cache factory of each module, found rather than listed: a list misses the next one added,
    and its client, made against an earlier test's endpoint, would be reused."""
    for module in modules:
        for factory in cached_factories(module):
            factory.cache_clear()
