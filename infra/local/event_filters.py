"""Lambda's event filtering locally: the subset of its filter-pattern syntax the template needs — nested objects and
lists of exact values (strings, numbers, booleans). A pattern using anything else (prefix, anything-but, numeric,
exists, null, $or …) is refused when parsed: matching it as if it were exact, or not at all, would deliver records
Lambda filters out, or drop ones it delivers.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

_SCALARS: Final = (str, int, float)  # bool is an int: exact true/false too


class UnsupportedPatternError(ValueError):
    """The pattern is not JSON, or uses a feature `matches` does not implement; the message names it."""


def filter_pattern(pattern: str) -> Mapping[str, Any]:
    """A filter's Pattern (JSON text) parsed; raises UnsupportedPatternError unless `matches` implements all of it."""
    try:
        parsed = json.loads(pattern)
    except json.JSONDecodeError as error:
        raise UnsupportedPatternError(f"filter pattern {pattern!r} is not JSON: {error}") from error
    if not isinstance(parsed, dict) or not parsed:
        raise UnsupportedPatternError(f"filter pattern {pattern!r} is not a JSON object of fields")
    _check(pattern, parsed)
    return parsed


def _check(pattern: str, node: Mapping[str, Any]) -> None:
    def refuse(feature: str) -> UnsupportedPatternError:
        return UnsupportedPatternError(
            f"filter pattern {pattern} uses {feature}, which the local runtime does not implement "
            "(infra/local/event_filters.py matches nested objects and lists of exact values only)"
        )

    for key, value in node.items():
        if key.startswith("$"):
            raise refuse(f"the {key!r} operator")
        if isinstance(value, dict):
            if not value:
                raise refuse(f"an empty object at {key!r}")
            _check(pattern, value)
            continue
        if not isinstance(value, list) or not value:
            raise refuse(f"{json.dumps(value)} at {key!r} (a field's values must be a non-empty list)")
        for candidate in value:
            if isinstance(candidate, dict):
                operators = ", ".join(repr(name) for name in candidate) or "an empty object"
                raise refuse(f"the content filter {operators} at {key!r}")
            if candidate is None:
                raise refuse(f"null matching at {key!r}")
            if not isinstance(candidate, _SCALARS):
                raise refuse(f"{json.dumps(candidate)} at {key!r}")


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    """Lambda's (EventBridge's) matching of a pattern `filter_pattern` accepted: every field of the pattern is in
    the value; an object matches field by field; a list matches when the value equals one of its members, or, for
    an array value, when one of its elements does."""
    if not isinstance(value, dict):
        return False
    for key, expected in pattern.items():
        if key not in value:
            return False
        actual = value[key]
        if isinstance(expected, dict):
            if not matches(expected, actual):
                return False
            continue
        candidates = actual if isinstance(actual, list) else [actual]
        if not any(_equal(candidate, wanted) for candidate in candidates for wanted in expected):
            return False
    return True


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, str) or isinstance(actual, str):
        return type(actual) is type(expected) and actual == expected
    return isinstance(actual, (int, float)) and float(actual) == float(expected)
