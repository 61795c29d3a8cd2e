"""Where readers came from, read from the visits table by key (never a Scan): each day's figures and sources, and
the application links the owner made. What the digest, the notes and `make stats` read through (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from functions.common import catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

BATCH_KEYS: Final = 100
"""NOTE: BatchGetItem takes at most 100 keys; keys it could not read come back as UnprocessedKeys.
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html"""
MAX_BATCH_ROUNDS: Final = 5
"""Rounds of UnprocessedKeys read again before the read fails (the function's retry reads it all again)."""


DAY_FIGURES: Final = tuple(catalog.DAY_FIGURES_FROM_TODAY)
TODAY_FIGURES: Final = tuple(catalog.DAY_FIGURES_FROM_TODAY.values())
"""A day's views, unique visitors and downloads: in its day item, or in the totals item while it is the day counted."""


@dataclass(frozen=True)
class DayReaders:
    day: date
    views: int = 0
    unique_visitors: int = 0
    downloads: int = 0
    sources: Mapping[str, int] = field(default_factory=dict)
    """Source name → unique visitors from it that day."""


@dataclass(frozen=True)
class LinkOpens:
    code: str
    created: str
    """UTC day (YYYY-MM-DD) `make link` made it; "" for OTHER_LINK_CODE."""
    first_opened: str
    """UTC day (YYYY-MM-DD) of its first open; "" when never opened."""
    last_opened: str
    days: int
    views: int


def number(item: Mapping[str, Any], name: str) -> int:
    return int(item[name]["N"]) if name in item else 0


def text(item: Mapping[str, Any], name: str) -> str:
    return str(item[name]["S"]) if name in item else ""


def _sources(item: Mapping[str, Any]) -> dict[str, int]:
    prefix = catalog.SOURCE_ATTRIBUTE_PREFIX
    return {name[len(prefix) :]: number(item, name) for name in item if name.startswith(prefix)}


def _key(value: str) -> dict[str, Any]:
    return {catalog.VISITS_PARTITION_KEY: {"S": value}}


class VisitsReader:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def item(self, key: str, *, consistent: bool = False) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table_name, Key=_key(key), ConsistentRead=consistent)
        return response.get("Item")

    def items(self, keys: Iterable[str], *, consistent: bool = False) -> dict[str, dict[str, Any]]:
        """The items of these keys that exist, by key, in BatchGetItem calls of at most BATCH_KEYS."""
        wanted = sorted(set(keys))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), BATCH_KEYS):
            batch = [_key(key) for key in wanted[start : start + BATCH_KEYS]]
            request: Any = {self.table_name: {"Keys": batch, "ConsistentRead": consistent}}
            for _ in range(MAX_BATCH_ROUNDS):
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table_name, []):
                    found[text(item, catalog.VISITS_PARTITION_KEY)] = dict(item)
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError(f"BatchGetItem left keys unread after {MAX_BATCH_ROUNDS} rounds")
        return found

    def days(
        self, days: Sequence[date], totals: Mapping[str, Any] | None, *, consistent: bool = False
    ) -> tuple[DayReaders, ...]:
        """Each day's views, unique visitors, downloads and sources: from its day item, or from the totals item
        (`totals`, already read) for the day it still counts (the next day's first write copies it to its day item)."""
        items = self.items((catalog.DAY_KEY_PREFIX + day.isoformat() for day in days), consistent=consistent)
        totals = totals or {}
        stored_day = text(totals, catalog.TODAY_ATTRIBUTE)
        figures = []
        for day in days:
            if day.isoformat() == stored_day:
                item, names = totals, TODAY_FIGURES
            else:
                item, names = items.get(catalog.DAY_KEY_PREFIX + day.isoformat(), {}), DAY_FIGURES
            views, unique_visitors, downloads = (number(item, name) for name in names)
            figures.append(DayReaders(day, views, unique_visitors, downloads, _sources(item)))
        return tuple(figures)

    def link_codes(self) -> tuple[str, ...]:
        """The codes the owner made (the registry item `make link` keeps), sorted."""
        item = self.item(catalog.LINK_REGISTRY_KEY) or {}
        return tuple(sorted(item.get(catalog.LINK_CODES_ATTRIBUTE, {}).get("SS", [])))

    def links(self, codes: Iterable[str]) -> tuple[LinkOpens, ...]:
        """The links of these codes that have an item, sorted by code."""
        items = self.items(catalog.LINK_KEY_PREFIX + code for code in codes)
        return tuple(
            LinkOpens(
                code=key[len(catalog.LINK_KEY_PREFIX) :],
                created=text(item, catalog.LINK_CREATED_ATTRIBUTE),
                first_opened=text(item, catalog.LINK_FIRST_OPENED_ATTRIBUTE),
                last_opened=text(item, catalog.LINK_LAST_OPENED_ATTRIBUTE),
                days=number(item, catalog.LINK_DAYS_ATTRIBUTE),
                views=number(item, catalog.LINK_VIEWS_ATTRIBUTE),
            )
            for key, item in sorted(items.items())
        )
