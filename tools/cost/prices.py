"""The one dated price file (prices.json beside this module), read for one region.

A region the file does not price falls back to the file's `fallback_region`, and says so (`PriceBook.fallback`),
unless the caller asks for the region strictly, which then fails with a message naming the regions it has.
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


@dataclass(frozen=True)
class PriceBook:
    as_of: str
    region: str
    """The region asked for (the config's)."""
    priced_region: str
    """The region whose prices these are: `region`, or the file's fallback when it has none for `region`."""
    prices: Mapping[str, Price]

    @property
    def fallback(self) -> bool:
        return self.region != self.priced_region

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    def value(self, key: str) -> float:
        return self.prices[key].value


def load_prices(region: str, *, strict: bool = False, path: Path = PRICES_FILE) -> PriceBook:
    document: dict[str, Any] = json.loads(path.read_text())
    regions: Mapping[str, Any] = document["regions"]
    priced = region
    if region not in regions:
        if strict:
            raise UnpricedRegionError(
                f"{path.name} has no prices for {region} (it has {', '.join(sorted(regions))}); add them, "
                "each with its source, or run without --strict-region to use "
                f"{document['fallback_region']}'s prices"
            )
        priced = document["fallback_region"]
    entries = regions[priced]
    return PriceBook(
        as_of=document["as_of"],
        region=region,
        priced_region=priced,
        prices={key: _price(key, entry) for key, entry in entries.items()},
    )


def _price(key: str, entry: Mapping[str, Any]) -> Price:
    tiers = tuple((bound, float(price)) for bound, price in entry.get("tiers", ()))
    value = tiers[0][1] if tiers else float(entry["value"])
    return Price(key, value, entry["unit"], entry["source"], entry["seen_at"], tiers)


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
