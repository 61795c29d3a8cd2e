"""A Logs Insights evaluator for exactly the subset of commands the dashboard's log widgets use (docs/dashboards.md
has the table), so the widgets show rows without AWS; any other command raises UnsupportedQueryError, so a new query
cannot be shown wrong silently.
NOTE: semantics from https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html — `@timestamp` is
the event's time; a stats query returns one row per group (events without the `by` field form one group of their
own); `fields` names the columns shown; `min(@timestamp)` and `max(@timestamp)` are times.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

Event = Mapping[str, Any]
"""One log event's fields; `@timestamp` is its time in epoch seconds."""

_BIN_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400}
_AGGREGATES: Final[Mapping[str, Callable[[list[float]], float]]] = {
    "avg": lambda v: sum(v) / len(v),
    "max": max,
    "min": min,
}


class UnsupportedQueryError(ValueError):
    """A query outside the subset the dashboard uses."""


@dataclass(frozen=True)
class Query:
    sources: tuple[str, ...]
    commands: tuple[str, ...]
    columns: tuple[str, ...] = field(default=())
    """The result's columns, in order, as the widget's table heads them."""
    times: frozenset[str] = field(default=frozenset())
    """The columns that hold a time (shown as one): `@timestamp`, a `bin(...)`, a min or max of `@timestamp`."""


def parse(query: str) -> Query:
    parts = [part.strip() for part in query.split("|") if part.strip()]
    sources = tuple(m[1] for part in parts if (m := re.fullmatch(r"SOURCE '([^']+)'", part)))
    commands = tuple(part for part in parts if not part.startswith("SOURCE "))
    columns: list[str] = []
    times = {"@timestamp"}
    for command in commands:
        verb, _, rest = command.partition(" ")
        if verb == "fields":
            columns = [name.strip() for name in rest.split(",")]
        elif verb == "stats":
            aggregates, _, by = rest.partition(" by ")
            calls = [item.strip().rpartition(" as ") for item in aggregates.split(",")]
            for call, _, name in calls:
                known = re.fullmatch(r"(\w+)\((\S+)\)", call)
                if not name or known is None or known[1] not in {"count", *_AGGREGATES}:
                    raise UnsupportedQueryError(f"stats {call or name!r} is not in the local subset: {query}")
            _grouping(by.strip())
            columns = [by.strip()] + [name for _, _, name in calls]
            times |= {by.strip()} if by.strip().startswith("bin(") else set()
            times |= {name for call, _, name in calls if call in {"min(@timestamp)", "max(@timestamp)"}}
        elif verb not in {"filter", "sort", "limit"}:
            raise UnsupportedQueryError(f"{verb!r} is not in the local Logs Insights subset: {query}")
    return Query(sources, commands, tuple(columns), frozenset(times))


def run(query: Query, events: Iterable[Event]) -> list[dict[str, str]]:
    """The query's result rows over `events`, each column's value as text (as the console's table shows it)."""
    rows: list[dict[str, Any]] = [dict(event) for event in events]
    for command in query.commands:
        verb, _, rest = command.partition(" ")
        if verb == "filter":  # `fields` only names the columns: a later filter still sees every field
            rows = [row for row in rows if _matches(rest.strip(), row)]
        elif verb == "stats":
            rows = _stats(rest, rows)
        elif verb == "sort":
            name, _, order = rest.strip().partition(" ")
            rows.sort(key=lambda row: (row.get(name) is not None, row.get(name) or 0), reverse=order != "asc")
        elif verb == "limit":
            rows = rows[: int(rest)]
    return [{name: _text(row.get(name), is_time=name in query.times) for name in query.columns} for row in rows]


def _matches(condition: str, row: Mapping[str, Any]) -> bool:
    if present := re.fullmatch(r"ispresent\((\S+)\)", condition):
        return row.get(present[1]) is not None
    if equals := re.fullmatch(r'(\S+)\s*=\s*"([^"]*)"', condition):
        return row.get(equals[1]) == equals[2]
    raise UnsupportedQueryError(f"filter {condition!r} is not in the local Logs Insights subset")


def _stats(rest: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    aggregates, _, by = rest.partition(" by ")
    group_of = _grouping(by.strip())
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append(row)
    result = []
    for group, members in groups.items():
        out: dict[str, Any] = {by.strip(): group}
        for item in aggregates.split(","):
            call, _, name = item.strip().rpartition(" as ")
            function, argument = re.fullmatch(r"(\w+)\((\S+)\)", call).groups()  # type: ignore[union-attr]
            if function == "count":
                out[name] = len(members)
            else:
                values = [float(m[argument]) for m in members if isinstance(m.get(argument), int | float)]
                out[name] = _AGGREGATES[function](values) if values else None
        result.append(out)
    return result


def _grouping(by: str) -> Callable[[Mapping[str, Any]], Any]:
    """What puts an event in its stats group: its time's bin, or one field's value."""
    if binned := re.fullmatch(r"bin\((\d+)([mhd])\)", by):
        size = int(binned[1]) * _BIN_SECONDS[binned[2]]
        return lambda row: row["@timestamp"] // size * size
    if re.fullmatch(r"[A-Za-z_][\w.]*", by):
        return lambda row: row.get(by)
    raise UnsupportedQueryError(f"stats by {by!r}: only by bin(...) or by one field is in the local subset")


def _text(value: Any, *, is_time: bool) -> str:
    if value is None:
        return ""
    if is_time:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(value))
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def rows(
    query_text: str, events_of: Callable[[str], Sequence[Event]], start: float, end: float
) -> list[dict[str, str]]:
    """The query run over the events of its SOURCE log groups between `start` and `end` (the dashboard's range)."""
    query = parse(query_text)
    events = [e for source in query.sources for e in events_of(source) if start <= e["@timestamp"] < end]
    return run(query, events)
