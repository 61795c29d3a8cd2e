"""The dated price file (prices.json beside this module), read for one region, and monthly usage billed at it:
itemized by what causes it, at list price and after the always-free tiers (docs/cost.md). A price with monthly tiers
is its first tier's: no figure here reaches the second.

A region the file does not price is refused: figures from another region's prices would look as sure as the real
ones, so another region's prices are used only when named (`priced_at`), and the book then says so (`fallback`).
A free tier is an account's monthly allowance, applied to the total of each kind of usage in BILLING's order; kinds
sharing one allowance (Lambda's GB-seconds on either architecture; CloudWatch Logs' 5 GB) draw on it in that order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

PRICES_FILE: Final = Path(__file__).with_name("prices.json")
GB: Final = 1024**3
"""Bytes in a billed GB (AWS bills data in binary gigabytes)."""


class UnpricedRegionError(LookupError):
    """The price file has no prices for the region asked for."""


@dataclass(frozen=True)
class PriceBook:
    as_of: str
    region: str
    """The region asked for (the config's)."""
    priced_region: str
    """The region whose prices these are: `region`, or the one the caller named."""
    prices: Mapping[str, Mapping[str, Any]]
    """Each price as the file states it: its value, unit, AWS source and where it was read (`seen_at`, a Price List
    file's row `usage_type`), a `note` on what was not confirmed, `borrowed_from` when it is another region's."""

    @property
    def fallback(self) -> bool:
        return self.region != self.priced_region

    @property
    def borrowed(self) -> list[str]:
        """The keys of the figures that are another region's, used because none was found for this one."""
        return [key for key, price in self.prices.items() if price.get("borrowed_from")]

    def value(self, key: str) -> float:
        return float(self.prices[key]["value"])


def load_prices(region: str, *, priced_at: str | None = None, path: Path = PRICES_FILE) -> PriceBook:
    """Prices for the config's `region`: its own, or `priced_at`'s (flagged when another region's)."""
    document: dict[str, Any] = json.loads(path.read_text())
    regions: Mapping[str, Any] = document["regions"]
    priced = priced_at or region
    if priced not in regions:
        raise UnpricedRegionError(
            f"{path.name} has no prices for {priced} (it has {', '.join(sorted(regions))}): add the region's prices, "
            "each with its AWS source, or run with --region REGION to price it with another region's list prices "
            "(flagged in every figure)"
        )
    return PriceBook(document["as_of"], region, priced, regions[priced])


BILLING: Final[Mapping[str, tuple[str, float, str | None]]] = {
    # usage key: (price key, units the price is per, free-tier price key or None)
    "alarm_metrics": ("cloudwatch_alarm_metric", 1, "cloudwatch_free_alarm_metrics"),
    "dashboards": ("cloudwatch_dashboard", 1, "cloudwatch_free_dashboards"),
    "custom_metrics": ("cloudwatch_custom_metric", 1, "cloudwatch_free_custom_metrics"),
    "kms_keys": ("kms_customer_managed_key", 1, None),
    "http_api_requests": ("http_api_requests", 1e6, None),
    "rest_api_requests": ("rest_api_requests", 1e6, None),
    "lambda_requests": ("lambda_requests", 1e6, "lambda_free_requests"),
    "lambda_gb_seconds_arm64": ("lambda_gb_second_arm64", 1, "lambda_free_gb_seconds"),
    "lambda_gb_seconds_x86_64": ("lambda_gb_second_x86_64", 1, "lambda_free_gb_seconds"),
    "dynamodb_write_units": ("dynamodb_write_request_units", 1e6, None),
    "dynamodb_read_units": ("dynamodb_read_request_units", 1e6, None),
    "logs_ingested_gb": ("logs_ingestion", 1, "logs_free_gb"),
    "logs_ingested_ia_gb": ("logs_ingestion_infrequent_access", 1, "logs_free_gb"),
    "logs_stored_gb_months": ("logs_storage", 1, "logs_free_gb"),
    "xray_traces": ("xray_traces_recorded", 1e6, "xray_free_traces"),
    "scheduler_invocations": ("scheduler_invocations", 1e6, "scheduler_free_invocations"),
    "ses_emails": ("ses_emails", 1000, None),
}


@dataclass(frozen=True)
class Usage:
    component: str
    """What causes it: `alarms`, `availability probe`, `views`, ..."""
    key: str
    """One of BILLING's keys."""
    quantity: float
    """Per month, in the unit of the key (requests, GB-seconds, GB, metrics, ...)."""
    detail: str


@dataclass(frozen=True)
class CostLine:
    usage: Usage
    list_usd: float


@dataclass(frozen=True)
class Bill:
    lines: tuple[CostLine, ...]
    free_usd: Mapping[str, float]
    """Usage key → what its always-free tier takes off."""

    @property
    def list_usd(self) -> float:
        return sum(line.list_usd for line in self.lines)

    @property
    def after_free_usd(self) -> float:
        return max(0.0, self.list_usd - sum(self.free_usd.values()))

    def by_component(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.usage.component] += line.list_usd
        return dict(totals)


def bill(usages: Iterable[Usage], prices: PriceBook) -> Bill:
    usages = [usage for usage in usages if usage.quantity]
    totals: dict[str, float] = defaultdict(float)
    for usage in usages:
        totals[usage.key] += usage.quantity
    list_cost = {key: _list_cost(key, quantity, prices) for key, quantity in totals.items()}
    lines = tuple(CostLine(u, list_cost[u.key] * u.quantity / totals[u.key]) for u in usages)
    return Bill(lines, _free(totals, prices))


def _list_cost(key: str, quantity: float, prices: PriceBook) -> float:
    price_key, per, _ = BILLING[key]
    return quantity / per * prices.value(price_key)


def _free(totals: Mapping[str, float], prices: PriceBook) -> dict[str, float]:
    """USD each usage key's free tier takes off, pools shared between keys drawn in BILLING's order."""
    left: dict[str, float] = {}
    free: dict[str, float] = {}
    for key, (price_key, per, free_key) in BILLING.items():
        if free_key is None or key not in totals:
            continue
        pool = left.setdefault(free_key, prices.value(free_key))
        covered = min(totals[key], pool)
        left[free_key] = pool - covered
        free[key] = covered / per * prices.value(price_key)
    return free
