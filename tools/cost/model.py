"""The figures `make cost` reports, from the inputs and the price book: the month with no visitor, the marginal cost
per million visits at given volumes, and the worst cases at the stage's throttle ceiling and at the guard's rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from infra.config import DeploymentConfig
from stack_model.schedules import SECONDS_PER_MONTH
from tools.cost.bill import Bill, bill
from tools.cost.inputs import CostInputs, gather
from tools.cost.prices import PriceBook, load_prices
from tools.cost.usage import common_design_usage, fixed_usage, traffic_metrics_usage, visits_usage

VOLUMES: Final = (1_000_000, 10_000_000)
"""Monthly visits the marginal cost is reported at."""


@dataclass(frozen=True)
class Scenario:
    name: str
    visits_per_month: float
    traffic: Bill
    """The visits' own usage, priced at list price (a free tier is no marginal saving: the fixed usage and any
    other workload of the account draw on it first)."""
    flat: Bill
    """What traffic adds by the month whatever its volume (the custom metrics it publishes)."""
    month: Bill
    """The whole month: the fixed usage, the flat and the visits'."""

    @property
    def per_million_usd(self) -> float:
        return self.traffic.list_usd / (self.visits_per_month / 1e6)


@dataclass(frozen=True)
class CostModel:
    inputs: CostInputs
    prices: PriceBook
    fixed: Bill
    volumes: Mapping[int, Scenario]
    worst: Scenario
    """Every second of a 30-day month at the stage's ThrottlingRateLimit, each request a counted visit."""
    guarded: Scenario
    """The same at the guard's rate."""
    common_design: Bill
    """A million page views of the common REST-API design (usage.common_design_usage), for comparison."""


def cost_model(inputs: CostInputs, prices: PriceBook) -> CostModel:
    fixed = fixed_usage(inputs)

    def scenario(name: str, visits: float) -> Scenario:
        traffic, flat = visits_usage(inputs, visits), traffic_metrics_usage(inputs, visits)
        return Scenario(name, visits, bill(traffic, prices), bill(flat, prices), bill(fixed + flat + traffic, prices))

    ceiling = inputs.facts.throttle_rate_per_second
    if ceiling is None:
        raise ValueError("the API stage sets no ThrottlingRateLimit: the worst case has no ceiling")
    return CostModel(
        inputs=inputs,
        prices=prices,
        fixed=bill(fixed, prices),
        volumes={volume: scenario(f"{volume:,} visits", volume) for volume in VOLUMES},
        worst=scenario(f"{ceiling:g} requests/s (the stage's throttle)", ceiling * SECONDS_PER_MONTH),
        guarded=scenario(
            f"{inputs.guard_rate_per_second:g} requests/s (the guard's rate)",
            inputs.guard_rate_per_second * SECONDS_PER_MONTH,
        ),
        common_design=bill(common_design_usage(inputs, 1e6), prices),
    )


def model_for(
    template: Mapping[str, Any],
    config: DeploymentConfig,
    *,
    fallback_region: str | None = None,
    counter_billed_ms: float | None = None,
) -> CostModel:
    """The cost model of a synthesized template and the config it was synthesized with (its region, its guard);
    `fallback_region` prices a region the price file lacks with that region's prices (flagged), else it is refused;
    `counter_billed_ms` replaces the assumed warm duration of the counter (e.g. the deployed one's average)."""
    prices = load_prices(config.region, fallback=fallback_region)
    inputs = gather(template, config.region, config.guard_rate_per_second)
    if counter_billed_ms is not None:
        inputs = replace(inputs, counter_billed_ms=counter_billed_ms)
    return cost_model(inputs, prices)
