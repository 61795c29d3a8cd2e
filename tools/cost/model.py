"""The figures `make cost` reports: the month with no visitor, a million visits all in (views, application links'
views and downloads in the mix assumptions.py declares) and a million plain views, and the worst month, at the
guard's rate. Each is usage itemized by what causes it, computed from the stack's model
(stack_model/), the measured requests and the config, and billed by prices.py."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from functions.common import catalog
from infra.config import DeploymentConfig
from stack_model.functions import Function
from stack_model.schedules import DAYS_PER_MONTH, SECONDS_PER_MONTH
from stack_model.stack import StackModel
from tools.cost import assumptions
from tools.cost.measure import (
    COUNTED_VISIT,
    DOWNLOAD,
    GET_VISITS,
    LINK_VIEW,
    SOURCE_VIEW,
    Measurement,
    ProbeRun,
    measure_requests,
    probe_run,
)
from tools.cost.prices import GB, Bill, PriceBook, Usage, bill, load_prices

MILLION: Final = 1_000_000
HOURS_PER_MONTH: Final = DAYS_PER_MONTH * 24
NEVER_EXPIRES_DAYS: Final = 365
"""A log group without retention keeps growing; its storage is counted as a year's worth."""
COMPARISON_REGION: Final = "us-east-1"
"""The region published comparisons (this project's cost targets among them) quote prices in: the all-in figure is
priced there too, whatever the config's region."""
XRAY_FIXED_RATE: Final = 0.05
"""NOTE: Lambda's active tracing samples with X-Ray's default rule: the first request each second (a reservoir of
one), then 5 % of the rest. https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html"""
_CONTEXT_VARIABLE: Final = re.compile(r"\$context\.[A-Za-z0-9_.]+")
REPRESENTATIVE_CONTEXT: Final[Mapping[str, str]] = {
    "$context.requestId": "K3mXpQ0ZoAMEbXw=",
    "$context.routeKey": "POST /visits",
    "$context.status": "200",
    "$context.responseLatency": "24",
    "$context.integrationLatency": "21",
}
"""Typical values of a counted POST for the variables the stage's access-log format uses (infra/api.py); a variable
not listed (an error message, on success) renders as `-`, as API Gateway writes it.
NOTE: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html"""


def access_log_line(log_format: str) -> str:
    """One access-log line as the stage writes it for a counted POST."""
    return _CONTEXT_VARIABLE.sub(lambda match: REPRESENTATIVE_CONTEXT.get(match.group(0), "-"), log_format) + "\n"


def alarm_metrics(stack: StackModel) -> int:
    """The metrics the alarms read, each billed per alarm."""
    return sum(alarm.metrics_read for alarm in stack.alarms)


def log_retention_days(stack: StackModel) -> int | None:
    """The longest retention of any log group (None: a group keeps its logs forever)."""
    retention = [group.retention_days for group in stack.log_groups.values()]
    return None if not retention or None in retention else max(d for d in retention if d is not None)


@dataclass(frozen=True)
class CostInputs:
    """Everything a figure is computed from, gathered once."""

    stack: StackModel
    requests: Measurement
    probe: ProbeRun | None
    """None when the template has no probe function."""
    access_log_line: str
    """A counted POST's access-log line, rendered from the stage's format (empty without access logging)."""
    guard_rate_per_second: float
    counter_billed_ms: float = assumptions.COUNTER_BILLED_MS
    """A warm counter invocation's billed duration: assumed, or the deployed function's measured average."""

    @property
    def counter(self) -> Function:
        return self.stack.function(catalog.COUNTER_HANDLER)

    def runs_per_month(self, handler: str) -> tuple[Function, float] | None:
        """The function with `handler` and how often its schedules run it (None: the template has none)."""
        found = self.stack.functions_with(handler)
        if not found:
            return None
        return found[0], sum(schedule.runs_per_month for schedule in self.stack.schedules_of(found[0].logical_id))

    @property
    def digest_recipients(self) -> int:
        """Who the notifier emails (its ALERT_RECIPIENTS variable in the template)."""
        for function in self.stack.functions_with(catalog.NOTIFIER_HANDLER):
            value = function.environment.get(catalog.ALERT_RECIPIENTS_ENV, "")
            return len([address for address in value.split(",") if address.strip()])
        return 0

    @property
    def access_log_class(self) -> str:
        """STANDARD or INFREQUENT_ACCESS (half the ingestion price): the class of the stage's access-log group."""
        stage = self.stack.stage
        group = self.stack.log_groups.get(stage.access_log_group or "") if stage else None
        return group.log_class if group else "STANDARD"

    def counter_log_bytes(self, request: str) -> int:
        """What one request writes to the counter's log group: its lines and EMF (measured), Lambda's (assumed)."""
        measured = self.requests[request]
        return measured.log_bytes + measured.emf_bytes + platform_bytes(self.counter)


def platform_bytes(function: Function) -> int:
    """Lambda's start and report lines of one invocation, unless its system log level drops them."""
    return assumptions.PLATFORM_LOG_BYTES if function.platform_logs else 0


def gather(template: Mapping[str, Any], guard_rate_per_second: float) -> CostInputs:
    stack = StackModel.from_template(template)
    probes = stack.functions_with(catalog.PROBE_HANDLER)
    log_format = stack.stage.access_log_format if stack.stage else None
    return CostInputs(
        stack=stack,
        requests=measure_requests(template),
        probe=probe_run(probes[0].memory_mb) if probes else None,
        access_log_line=access_log_line(log_format) if log_format else "",
        guard_rate_per_second=guard_rate_per_second,
    )


def sampled_traces(requests_per_month: float) -> float:
    """Traces X-Ray records for a function with active tracing, at this monthly volume spread evenly (Poisson
    arrivals at the month's mean rate): each second, the first request (the reservoir), then 5 % of the rest."""
    rate = requests_per_month / SECONDS_PER_MONTH
    first = 1 - math.exp(-rate)  # P(at least one request in a second) = E[min(requests, reservoir of 1)]
    return SECONDS_PER_MONTH * (first + XRAY_FIXED_RATE * (rate - first))


def invocation_usage(component: str, function: Function, runs: float, billed_ms: float) -> list[Usage]:
    gb_seconds = runs * function.memory_mb / 1024 * billed_ms / 1000
    usage = [
        Usage(component, "lambda_requests", runs, f"{runs:,.0f} invocations of {function.logical_id}"),
        Usage(
            component,
            f"lambda_gb_seconds_{function.architecture}",
            gb_seconds,
            f"{runs:,.0f} x {function.memory_mb} MB x {billed_ms:g} ms (assumed) on {function.architecture}",
        ),
    ]
    if function.tracing == "Active":
        usage.append(Usage(component, "xray_traces", sampled_traces(runs), f"{function.logical_id}: tracing Active"))
    return usage


def logs_usage(
    component: str, inputs: CostInputs, bytes_per_month: float, detail: str, key: str = "logs_ingested_gb"
) -> list[Usage]:
    """Ingestion (under `key`: the log group's class decides its price) and the storage it adds."""
    gb = bytes_per_month / GB
    days = log_retention_days(inputs.stack) or NEVER_EXPIRES_DAYS
    stored = f"kept {days} days, at its uncompressed size (an upper bound)"
    return [
        Usage(component, key, gb, detail),
        Usage(component, "logs_stored_gb_months", gb * days / DAYS_PER_MONTH, stored),
    ]


def fixed_usage(inputs: CostInputs) -> list[Usage]:
    """With no visitor: what the template bills by the month, and its scheduled runs."""
    stack = inputs.stack
    metrics, keys, dashboards = alarm_metrics(stack), len(stack.kms_keys), len(stack.dashboards)
    usage = [
        Usage("alarms", "alarm_metrics", metrics, f"{len(stack.alarms)} alarms read {metrics}"),
        Usage("dashboards", "dashboards", dashboards, f"{dashboards} custom dashboard(s)"),
        Usage("KMS keys", "kms_keys", keys, f"{keys} key(s), {sum(stack.kms_keys.values())} rotating"),
    ]
    return usage + probe_usage(inputs) + digest_usage(inputs)


def probe_usage(inputs: CostInputs) -> list[Usage]:
    scheduled, probe = inputs.runs_per_month(catalog.PROBE_HANDLER), inputs.probe
    if scheduled is None or probe is None or not scheduled[1]:
        return []
    (function, runs), component = scheduled, "availability probe"
    gets, get = runs * probe.api_gets, inputs.requests[GET_VISITS]
    per_run = probe.log_bytes + probe.emf_bytes + platform_bytes(function)
    per_run += probe.api_gets * inputs.counter_log_bytes(GET_VISITS) + len(inputs.access_log_line) * probe.api_requests
    return [
        Usage(component, "scheduler_invocations", runs, f"every {SECONDS_PER_MONTH / 60 / runs:g} min"),
        *invocation_usage(component, function, runs, assumptions.PROBE_BILLED_MS),
        Usage(component, "http_api_requests", runs * probe.api_requests, f"{probe.api_requests} API requests a run"),
        *invocation_usage(component, inputs.counter, gets, inputs.counter_billed_ms),
        Usage(component, "dynamodb_read_units", gets * get.read_units, f"GET /visits: {get.read_units} RRU"),
        Usage(component, "dynamodb_write_units", gets * get.write_units, f"GET /visits: {get.write_units} WRU"),
        *logs_usage(component, inputs, runs * per_run, f"{per_run} B a run (probe, counter GET, access log)"),
    ]


def digest_usage(inputs: CostInputs) -> list[Usage]:
    scheduled = inputs.runs_per_month(catalog.DIGEST_HANDLER)
    if scheduled is None or not scheduled[1]:
        return []
    (function, runs), component = scheduled, "weekly digest"
    recipients = inputs.digest_recipients
    return [
        Usage(component, "scheduler_invocations", runs, f"{runs:.2f} runs a month"),
        *invocation_usage(component, function, runs, assumptions.DIGEST_BILLED_MS),
        Usage(component, "ses_emails", runs * recipients, f"{recipients} recipient(s) a run"),
        *logs_usage(component, inputs, runs * assumptions.DIGEST_LOG_BYTES, "assumed bytes a run"),
    ]


def requests_usage(inputs: CostInputs, component: str, request: str, count: float, unit: str) -> list[Usage]:
    """`count` POST /visits requests a month, each costing what the measured `request` did (a `unit` each)."""
    if not count:
        return []
    measured = inputs.requests[request]
    counter_bytes, access_bytes = inputs.counter_log_bytes(request), len(inputs.access_log_line)
    access_class = inputs.access_log_class
    return [
        Usage(component, "http_api_requests", count, f"one POST /visits per {unit}"),
        *invocation_usage(component, inputs.counter, count, inputs.counter_billed_ms),
        Usage(component, "dynamodb_write_units", count * measured.write_units, f"{measured.write_units} WRU a {unit}"),
        Usage(component, "dynamodb_read_units", count * measured.read_units, f"{measured.read_units} RRU a {unit}"),
        *logs_usage(component, inputs, count * counter_bytes, f"{counter_bytes} B a {unit} in the counter's logs"),
        *logs_usage(
            component,
            inputs,
            count * access_bytes,
            f"{access_bytes} B a {unit} in the access log ({access_class.replace('_', ' ').lower()} class)",
            key="logs_ingested_ia_gb" if access_class == "INFREQUENT_ACCESS" else "logs_ingested_gb",
        ),
    ]


def common_design_usage(inputs: CostInputs, visits: float) -> list[Usage]:
    """For comparison, the design most resume counters use: a REST API, the same Lambda untraced, one unconditional
    UpdateItem per request (1 WRU), no logs: it counts every request, retries, reloads and crawlers included."""
    component = "common REST-API design"
    return [
        Usage(component, "rest_api_requests", visits, "one POST per page view"),
        *invocation_usage(component, replace(inputs.counter, tracing="PassThrough"), visits, inputs.counter_billed_ms),
        Usage(component, "dynamodb_write_units", visits, "1 WRU: an unconditional UpdateItem"),
    ]


def traffic_metrics_usage(visits: float) -> list[Usage]:
    """The custom metrics the counter can publish (functions/common/catalog.py): billed by the month for each hour
    they are published, so flat once every hour has a visit, whatever the volume: in the month's bill, not in the
    cost per visit. Every ignore reason is counted, so a month without crawlers or reloads costs less."""
    if not visits:
        return []
    total = f"{catalog.IGNORED_VISITS_METRIC} (total, and one a reason: {', '.join(catalog.IGNORE_REASONS)})"
    metrics = (catalog.VISITS_METRIC, catalog.UNIQUE_VISITORS_METRIC, total)
    return [
        Usage(
            "custom metrics with traffic",
            "custom_metrics",
            (len(metrics) + len(catalog.IGNORE_REASONS)) * min(1.0, visits / HOURS_PER_MONTH),
            "the counter's EMF metrics, flat once published every hour: " + ", ".join(metrics),
        )
    ]


@dataclass(frozen=True)
class VisitMix:
    """What counted views bring with them (assumptions.py; an owner passes their own to `make cost`)."""

    link_view_share: float = assumptions.LINK_VIEW_SHARE
    """Share of the views that come through an application link the owner made."""
    downloads_per_visit: float = assumptions.DOWNLOADS_PER_VISIT


def all_in_usage(inputs: CostInputs, mix: VisitMix) -> list[Usage]:
    """A million visits with what readers' insight adds, each part priced as its measured request."""
    parts = (
        ("views", SOURCE_VIEW, "view", 1 - mix.link_view_share),
        ("link views", LINK_VIEW, "link view", mix.link_view_share),
        ("downloads", DOWNLOAD, "download", mix.downloads_per_visit),
    )
    return [
        usage
        for part, request, unit, share in parts
        for usage in requests_usage(inputs, part, request, share * MILLION, unit)
    ]


@dataclass(frozen=True)
class CostModel:
    """Each figure's bill at list price; the visits' own are marginal (a free tier is no marginal saving: the fixed
    usage and any other workload of the account draw on it first)."""

    inputs: CostInputs
    prices: PriceBook
    mix: VisitMix
    fixed: Bill
    all_in: Bill
    """A million visits all in, itemized by part (views, link views, downloads)."""
    all_in_compared_usd: float
    """The same at COMPARISON_REGION's list prices."""
    compared_region: str
    plain_views: Bill
    """A million plain views: no link, no download."""
    guarded_month: Bill
    """Every second of a 30-day month at the guard's rate, each request a counted visit: the worst month once the
    guard has engaged (docs/cost.md); with the fixed usage and the custom metrics traffic publishes."""
    common_design: Bill
    """A million page views of the common REST-API design (common_design_usage), for comparison."""

    @property
    def guarded_visits(self) -> float:
        return self.inputs.guard_rate_per_second * SECONDS_PER_MONTH


def cost_model(
    inputs: CostInputs, prices: PriceBook, mix: VisitMix | None = None, compared_prices: PriceBook | None = None
) -> CostModel:
    """The figures at `prices`; the all-in one also at `compared_prices` (COMPARISON_REGION's; default: `prices`)."""
    fixed, mix, compared = fixed_usage(inputs), mix or VisitMix(), compared_prices or prices
    guarded = inputs.guard_rate_per_second * SECONDS_PER_MONTH
    return CostModel(
        inputs=inputs,
        prices=prices,
        mix=mix,
        fixed=bill(fixed, prices),
        all_in=bill(all_in_usage(inputs, mix), prices),
        all_in_compared_usd=bill(all_in_usage(inputs, mix), compared).list_usd,
        compared_region=compared.priced_region,
        plain_views=bill(requests_usage(inputs, "visits", COUNTED_VISIT, MILLION, "visit"), prices),
        guarded_month=bill(
            fixed + traffic_metrics_usage(guarded) + requests_usage(inputs, "visits", COUNTED_VISIT, guarded, "visit"),
            prices,
        ),
        common_design=bill(common_design_usage(inputs, MILLION), prices),
    )


def model_for(
    template: Mapping[str, Any],
    config: DeploymentConfig,
    prices: PriceBook,
    counter_billed_ms: float | None = None,
    mix: VisitMix | None = None,
) -> CostModel:
    """The cost model of a synthesized template and the config it was synthesized with (its guard), at `prices`;
    `counter_billed_ms` replaces the assumed warm duration of the counter (e.g. the deployed one's average), `mix`
    the assumed share of link views and downloads."""
    inputs = gather(template, config.guard_rate_per_second)
    if counter_billed_ms is not None:
        inputs = replace(inputs, counter_billed_ms=counter_billed_ms)
    return cost_model(inputs, prices, mix, load_prices(config.region, priced_at=COMPARISON_REGION))
