"""The cost model as one JSON object (`make cost --json`): the headline figures, their items, what was measured,
what the template holds, the assumptions, every price with its source, and the notes that qualify the figures."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from functions.common import catalog
from tools.cost import assumptions
from tools.cost.measure import COUNTED_VISIT
from tools.cost.model import GUARD_RATE_SOURCE, VOLUMES, CostModel, Scenario
from tools.cost.model import unpriced_types as unpriced
from tools.cost.prices import Bill

THROTTLED_NOT_BILLED: Final = (
    "Throttled requests (429) are not billed by API Gateway, so the worst case counts the requests at the limit "
    "only (sources, and what AWS's pages leave open: docs/cost.md)."
)


def as_json(model: CostModel) -> dict[str, Any]:
    first, stage = model.volumes[VOLUMES[0]], model.inputs.stack.stage
    assert stage is not None  # the model has a worst case: the stage's throttle
    return {
        "as_of": model.prices.as_of,
        "region": model.prices.region,
        "priced_region": model.prices.priced_region,
        "warning": unpriced_warning(model),
        "fixed_monthly_usd": model.fixed.list_usd,
        "fixed_monthly_after_free_tier_usd": model.fixed.after_free_usd,
        "per_million_visits_usd": first.per_million_usd,
        "worst_case_monthly_usd": model.worst.month.list_usd,
        "guarded_worst_case_monthly_usd": model.guarded.month.list_usd,
        "worst_case_monthly_after_free_tier_usd": model.worst.month.after_free_usd,
        "guarded_worst_case_monthly_after_free_tier_usd": model.guarded.month.after_free_usd,
        "common_rest_design_per_million_usd": model.common_design.list_usd,
        "fixed": _bill(model.fixed),
        "per_million_visits": {str(volume): _scenario(model.volumes[volume]) for volume in VOLUMES},
        "worst_case": _scenario(model.worst) | {"requests_per_second": stage.throttle_rate_per_second},
        "guarded_worst_case": _scenario(model.guarded)
        | {"requests_per_second": model.inputs.guard_rate_per_second, "rate_from": GUARD_RATE_SOURCE},
        "measured": measured(model),
        "assumptions": as_json_assumptions(),
        "prices": {key: asdict(price) for key, price in model.prices.prices.items()},
        "notes": notes(model),
    }


def unpriced_warning(model: CostModel) -> str | None:
    """The flag every output leads with when the config's region is priced with another region's list prices."""
    prices = model.prices
    if not prices.fallback:
        return None
    return (
        f"NOT {prices.region} PRICES: every figure here uses {prices.priced_region}'s list prices (--region), so the "
        f"bill in {prices.region}, the config's region, will differ."
    )


def as_json_assumptions() -> dict[str, Any]:
    return {name: getattr(assumptions, name) for name in vars(assumptions) if name.isupper() and name[0] != "_"}


def _bill(bill: Bill) -> dict[str, Any]:
    return {
        "list_usd": bill.list_usd,
        "after_free_tier_usd": bill.after_free_usd,
        "by_component_usd": bill.by_component(),
        "free_tier_usd": dict(bill.free_usd),
        "items": [
            {
                "component": line.usage.component,
                "usage": line.usage.key,
                "quantity": line.usage.quantity,
                "detail": line.usage.detail,
                "list_usd": line.list_usd,
            }
            for line in bill.lines
        ],
    }


def _scenario(scenario: Scenario) -> dict[str, Any]:
    return {
        "visits_per_month": scenario.visits_per_month,
        "per_million_visits_usd": scenario.per_million_usd,
        "month_list_usd": scenario.month.list_usd,
        "month_after_free_tier_usd": scenario.month.after_free_usd,
        "visits": _bill(scenario.traffic),
        "flat_with_traffic": _bill(scenario.flat),
    }


def measured(model: CostModel) -> dict[str, Any]:
    inputs = model.inputs
    counted = inputs.requests[COUNTED_VISIT]
    return {
        "visit": {
            "dynamodb_write_units": counted.write_units,
            "dynamodb_read_units": counted.read_units,
            "dynamodb_round_trips": counted.round_trips,
            "log_bytes": {
                "counter_log_lines": counted.log_bytes,
                "counter_emf": counted.emf_bytes,
                "lambda_platform_lines (rendered)": inputs.platform_bytes(inputs.counter),
                "access_log_line (rendered)": len(inputs.access_log_line),
                "total": inputs.visit_log_bytes,
            },
        },
        "requests": [
            {
                "request": request.description,
                "calls": dict(request.calls),
                "write_units": request.write_units,
                "read_units": request.read_units,
                "log_bytes": request.log_bytes,
                "emf_bytes": request.emf_bytes,
            }
            for request in inputs.requests.requests
        ],
        "largest_item_bytes": inputs.requests.largest_item_bytes,
        "probe_run": asdict(inputs.probe) | {"metrics": sorted(m[0] for m in inputs.probe.metrics)}
        if inputs.probe
        else None,
    }


def notes(model: CostModel) -> list[str]:
    inputs, stack, prices = model.inputs, model.inputs.stack, model.prices
    pitr_tables = [table for table in stack.tables.values() if table.point_in_time_recovery]
    budgets = stack.resource_types.get("AWS::Budgets::Budget", 0)
    found = [THROTTLED_NOT_BILLED]
    if unpriced(stack):
        found.append(
            f"NOT PRICED: the template has resources make cost does not account for: {', '.join(unpriced(stack))}"
            " (add them to tools/cost/model.py ACCOUNTED_TYPES and price them)."
        )
    if stack.advanced_parameters:
        found.append(f"NOT PRICED: {stack.advanced_parameters} SSM parameter(s) of the Advanced tier (billed monthly).")
    warning = unpriced_warning(model)
    if warning:
        found.append(warning)
    if prices.borrowed:
        keys = ", ".join(price.key for price in prices.borrowed)
        found.append(
            f"Not confirmed for {prices.priced_region}: {keys} are another region's figures (borrowed_from in "
            "tools/cost/prices.json), used because no AWS-published one for this region was found; each price's "
            "note says where to check it."
        )
    tracing = inputs.counter.tracing
    found.append(
        f"The counter's tracing is {tracing}: "
        + (
            "Lambda samples each second's first request and 5 % of the rest, so the traces per visit fall as "
            "traffic grows (computed at each volume, arrivals spread evenly over the month)."
            if tracing == "Active"
            else "no traces, since an HTTP API does not trace and so never passes a sampled trace header on."
        )
    )
    if any(stack.kms_keys.values()):
        found.append(
            "KMS: automatic rotation adds $1.00 a month to a key after its first yearly rotation and $1.00 after "
            "the second (at most $3.00 a key from the third year; later rotations are free)."
        )
    found += [
        f"Lambda durations are not measured here: {model.inputs.counter_billed_ms:g} ms billed per warm counter "
        f"invocation (assumed, unless given with --counter-ms), {assumptions.PROBE_BILLED_MS} ms per probe run, "
        f"{assumptions.DIGEST_BILLED_MS} ms per digest "
        "(tools/cost/assumptions.py says why); memory and architecture are the template's.",
        "The guarded worst case assumes the guard refuses the requests above its rate before they cost anything, "
        "as the stage's throttle does; a request the guard refuses inside the counter still costs an HTTP API "
        "request, an invocation and its log lines (but no DynamoDB write), up to the throttle ceiling.",
        f"Point-in-time recovery is on for {len(pitr_tables)} table(s): billed per GB-month of table size; "
        f"these tables hold kilobytes (largest item {inputs.requests.largest_item_bytes} B; network items expire "
        "after their day), so it is ~$0.00 and not priced. Their storage is inside DynamoDB's 25 GB free tier.",
        f"Budgets: {budgets} in the template, free without actions (an action would be listed as not priced). "
        "SSM standard parameters are free; idle SNS topics and SQS queues cost nothing.",
        "Free tiers are an account's: the 'after free tier' figures assume this stack is all the account runs. "
        "The HTTP API's free tier lasts 12 months only and is not applied.",
        "Log bytes are measured on the local runtime; a deployed line names a longer function ARN and carries an "
        "X-Ray trace id (~100 B more a line). Lambda's platform lines and the access-log line are rendered from "
        "their documented shape and the stage's format, not measured.",
        f"Custom metrics with traffic: the {len(inputs.requests.metrics_with_traffic)} distinct metrics the counter "
        "published across the measured requests, each billed in full once published every hour (the IgnoredVisits "
        "ones only in a month with crawlers, visitors without a User-Agent or over their daily limit). "
        f"{catalog.STORE_FAILURES_METRIC} is published only when the store fails: one more metric in such a month.",
        "The probe's CORS preflight is counted as a billed HTTP API request (not verified either way).",
        "Not included: the site's hosting (Amplify/CloudFront serve each visitor the page itself) and data "
        "transfer out.",
    ]
    return found
