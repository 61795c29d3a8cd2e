"""The one dated price file (prices.json beside this module), read for one region.

A region the file does not price is refused (`UnpricedRegionError`): a deploy to such a region should not be shown
confident figures computed from another region's prices. The caller may name a region whose prices to use instead
(`fallback`); the book then says so (`PriceBook.fallback`), and every output flags it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

PRICES_FILE: Final = Path(__file__).with_name("prices.json")


class UnpricedRegionError(LookupError):
    """The price file has no prices for the region asked for."""


@dataclass(frozen=True)
class Price:
    key: str
    value: float
    """For a tiered price, its first tier's."""
    unit: str
    source: str
    seen_at: str
    tiers: tuple[tuple[float | None, float], ...] = ()
    """(upper bound of the tier in units, or None for the rest; price per million units in that tier)."""
    usage_type: str = ""
    """The row of the AWS Price List file (`seen_at`) the figure is read from, when it is one."""
    note: str = ""
    """What about this figure was not confirmed, or qualifies it."""
    borrowed_from: str | None = None
    """Set when the figure is another region's, used because none was found for this one."""


@dataclass(frozen=True)
class PriceBook:
    as_of: str
    region: str
    """The region asked for (the config's)."""
    priced_region: str
    """The region whose prices these are: `region`, or the fallback the caller named when the file lacks it."""
    prices: Mapping[str, Price]

    @property
    def fallback(self) -> bool:
        return self.region != self.priced_region

    @property
    def borrowed(self) -> list[Price]:
        """The priced region's figures that are another region's (see each one's note)."""
        return [price for price in self.prices.values() if price.borrowed_from]

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    def value(self, key: str) -> float:
        return self.prices[key].value


def load_prices(region: str, *, fallback: str | None = None, path: Path = PRICES_FILE) -> PriceBook:
    """`region`'s prices; for a region the file lacks, `fallback`'s (flagged), or UnpricedRegionError without one."""
    document: dict[str, Any] = json.loads(path.read_text())
    regions: Mapping[str, Any] = document["regions"]
    priced = region
    if region not in regions:
        if fallback is None or fallback not in regions:
            asked = f" nor for {fallback}" if fallback else ""
            raise UnpricedRegionError(
                f"{path.name} has no prices for {region}{asked} (it has {', '.join(sorted(regions))}): add the "
                "region's prices, each with its AWS source, or run with --fallback-region REGION to price it with "
                "another region's list prices (flagged in every figure)"
            )
        priced = fallback
    return PriceBook(
        as_of=document["as_of"],
        region=region,
        priced_region=priced,
        prices={key: _price(key, entry) for key, entry in regions[priced].items()},
    )


def _price(key: str, entry: Mapping[str, Any]) -> Price:
    tiers = tuple((bound, float(price)) for bound, price in entry.get("tiers", ()))
    value = tiers[0][1] if tiers else float(entry["value"])
    return Price(
        key,
        value,
        entry["unit"],
        entry["source"],
        entry["seen_at"],
        tiers,
        entry.get("usage_type", ""),
        entry.get("note", ""),
        entry.get("borrowed_from"),
    )


def tiered_cost(quantity: float, tiers: Sequence[tuple[float | None, float]]) -> float:
    """USD for `quantity` units priced per million in monthly tiers [(upper bound or None, price per million)]."""
    cost, below = 0.0, 0.0
    for bound, per_million in tiers:
        top = quantity if bound is None else min(quantity, bound)
        if top > below:
            cost += (top - below) * per_million / 1e6
        if bound is None or quantity <= bound:
            break
        below = bound
    return cost
