"""A Logs Insights evaluator for exactly the queries the dashboard's log widgets use, run over log events held here
(the local functions' JSON lines, or the synthetic day) so the widgets show rows without AWS.

The subset (docs/dashboards.md): `SOURCE 'group'` prefixes; `fields a, b`; `filter f = "text"` and
`filter ispresent(f)`; `stats count(*)|avg(f)|max(f)|min(f)|sum(f) as name, ... by bin(N{m,h,d})`;
`sort f asc|desc`; `limit N`. Anything else raises UnsupportedQueryError, so a new query cannot be shown wrong silently.
NOTE: command semantics from https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html —
`@timestamp` is the event's time; a stats query returns one row per group; `fields` names the columns shown.
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
    "sum": sum,
}


class UnsupportedQueryError(ValueError):
    """A query outside the subset the dashboard uses."""


@dataclass(frozen=True)
class Query:
    sources: tuple[str, ...]
    commands: tuple[str, ...]
    columns: tuple[str, ...] = field(default=())
    """The result's columns, in order, as the widget's table heads them."""


def parse(query: str) -> Query:
    parts = [part.strip() for part in query.split("|") if part.strip()]
    sources = tuple(m[1] for part in parts if (m := re.fullmatch(r"SOURCE '([^']+)'", part)))
    commands = tuple(part for part in parts if not part.startswith("SOURCE "))
    columns: list[str] = []
    for command in commands:
        verb, _, rest = command.partition(" ")
        if verb == "fields":
            columns = [name.strip() for name in rest.split(",")]
        elif verb == "stats":
            aggregates, _, by = rest.partition(" by ")
            columns = [by.strip()] + [item.rsplit(" as ", 1)[-1].strip() for item in aggregates.split(",")]
        elif verb not in {"filter", "sort", "limit"}:
            raise UnsupportedQueryError(f"{verb!r} is not in the local Logs Insights subset: {query}")
    return Query(sources, commands, tuple(columns))


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
    return [{name: _text(name, row.get(name)) for name in query.columns} for row in rows]


def _matches(condition: str, row: Mapping[str, Any]) -> bool:
    if present := re.fullmatch(r"ispresent\((\S+)\)", condition):
        return row.get(present[1]) is not None
    if equals := re.fullmatch(r'(\S+)\s*=\s*"([^"]*)"', condition):
        return row.get(equals[1]) == equals[2]
    raise UnsupportedQueryError(f"filter {condition!r} is not in the local Logs Insights subset")


def _stats(rest: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    aggregates, _, by = rest.partition(" by ")
    binned = re.fullmatch(r"bin\((\d+)([mhd])\)", by.strip())
    if not binned:
        raise UnsupportedQueryError(f"stats by {by!r}: only by bin(...) is in the local subset")
    size = int(binned[1]) * _BIN_SECONDS[binned[2]]
    groups: dict[float, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["@timestamp"] // size * size, []).append(row)
    result = []
    for start, members in groups.items():
        out: dict[str, Any] = {by.strip(): start}
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


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "@timestamp" or name.startswith("bin("):
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
