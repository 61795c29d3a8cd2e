"""The month's usage: what the stack uses with no visitor at all (alarms, keys, dashboards, the probe and the weekly
digest), and what `visits` counted visits add. Quantities only; bill.py prices them."""

from __future__ import annotations

import math
from dataclasses import replace

from functions.common import catalog
from stack_model.functions import Function
from stack_model.schedules import DAYS_PER_MONTH, SECONDS_PER_MONTH
from tools.cost import assumptions
from tools.cost.bill import GB, Usage
from tools.cost.inputs import CostInputs
from tools.cost.measure import COUNTED_VISIT, GET_VISITS

HOURS_PER_MONTH = DAYS_PER_MONTH * 24


def sampled_traces(requests_per_month: float) -> float:
    """Traces X-Ray records for a function with active tracing, at this monthly volume spread evenly (Poisson
    arrivals at the month's mean rate): each second, the first request (the reservoir), then 5 % of the rest."""
    rate = requests_per_month / SECONDS_PER_MONTH
    first = 1 - math.exp(-rate)  # P(at least one request in a second) = E[min(requests, reservoir of 1)]
    return SECONDS_PER_MONTH * (first + assumptions.XRAY_FIXED_RATE * (rate - first))


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
    stored = gb * inputs.log_retention_days / DAYS_PER_MONTH
    return [
        Usage(component, key, gb, detail),
        Usage(
            component,
            "logs_stored_gb_months",
            stored,
            f"kept {inputs.log_retention_days} days, at its uncompressed size (an upper bound)",
        ),
    ]


def fixed_usage(inputs: CostInputs) -> list[Usage]:
    """With no visitor: what the template bills by the month, and its scheduled runs."""
    facts = inputs.facts
    rotation = sum(facts.kms_keys.values())
    usage = [
        Usage("alarms", "alarm_metrics", facts.alarm_metrics, f"{len(facts.alarms)} alarms read {facts.alarm_metrics}"),
        Usage("alarms", "high_resolution_alarm_metrics", facts.high_resolution_alarm_metrics, "high-resolution"),
        Usage("alarms", "composite_alarms", facts.composite_alarms, "composite alarms"),
        Usage("dashboards", "dashboards", facts.dashboards, f"{facts.dashboards} custom dashboard(s)"),
        Usage("KMS keys", "kms_keys", len(facts.kms_keys), f"{len(facts.kms_keys)} key(s), {rotation} rotating"),
    ]
    return usage + probe_usage(inputs) + digest_usage(inputs)


def probe_usage(inputs: CostInputs) -> list[Usage]:
    probe, function = inputs.probe, inputs.probe_function
    if probe is None or function is None:
        return []
    runs = sum(schedule.runs_per_month for schedule in inputs.facts.schedules_of(function))
    if not runs:
        return []
    component = "availability probe"
    gets = runs * probe.api_gets
    get = inputs.requests[GET_VISITS]
    access = len(inputs.access_log_line) * probe.api_requests
    per_run = probe.log_bytes + probe.emf_bytes + inputs.platform_bytes(function)
    per_run += probe.api_gets * inputs.get_log_bytes + access
    hours_published = min(1.0, runs / HOURS_PER_MONTH)
    return [
        Usage(component, "scheduler_invocations", runs, f"every {SECONDS_PER_MONTH / 60 / runs:g} min"),
        *invocation_usage(component, function, runs, assumptions.PROBE_BILLED_MS),
        Usage(component, "http_api_requests", runs * probe.api_requests, f"{probe.api_requests} API requests a run"),
        *invocation_usage(component, inputs.counter, gets, inputs.counter_billed_ms),
        Usage(component, "dynamodb_read_units", gets * get.read_units, f"GET /visits: {get.read_units} RRU"),
        Usage(component, "dynamodb_write_units", gets * get.write_units, f"GET /visits: {get.write_units} WRU"),
        *logs_usage(component, inputs, runs * per_run, f"{per_run} B a run (probe, counter GET, access log)"),
        Usage(
            component,
            "custom_metrics",
            len(probe.metrics) * hours_published,
            f"published by a healthy run: {', '.join(sorted(name for name, _ in probe.metrics))}",
        ),
    ]


def digest_usage(inputs: CostInputs) -> list[Usage]:
    digest = [f for f in inputs.facts.functions.values() if f.handler == catalog.DIGEST_HANDLER]
    if not digest:
        return []
    runs = sum(schedule.runs_per_month for schedule in inputs.facts.schedules_of(digest[0]))
    if not runs:
        return []
    component = "weekly digest"
    emails = runs * inputs.digest_recipients
    return [
        Usage(component, "scheduler_invocations", runs, f"{runs:.2f} runs a month"),
        *invocation_usage(component, digest[0], runs, assumptions.DIGEST_BILLED_MS),
        Usage(component, "ses_emails", emails, f"{inputs.digest_recipients} recipient(s) a run"),
        Usage(component, "get_metric_data_metrics", runs * assumptions.DIGEST_METRICS_REQUESTED, "GetMetricData"),
        *logs_usage(component, inputs, runs * assumptions.DIGEST_LOG_BYTES, "assumed bytes a run"),
    ]


def visits_usage(inputs: CostInputs, visits: float) -> list[Usage]:
    """`visits` counted visits (each a POST /visits a warm container counts) in a month, and what they add."""
    if not visits:
        return []
    component, counted = "visits", inputs.requests[COUNTED_VISIT]
    counter_bytes, access_bytes = inputs.visit_function_log_bytes, len(inputs.access_log_line)
    access_class = inputs.facts.access_log_class.replace("_", " ").lower()
    return [
        Usage(component, "http_api_requests", visits, "one POST /visits per visit"),
        *invocation_usage(component, inputs.counter, visits, inputs.counter_billed_ms),
        Usage(component, "dynamodb_write_units", visits * counted.write_units, f"{counted.write_units} WRU a visit"),
        Usage(component, "dynamodb_read_units", visits * counted.read_units, f"{counted.read_units} RRU a visit"),
        *logs_usage(component, inputs, visits * counter_bytes, f"{counter_bytes} B a visit in the counter's logs"),
        *logs_usage(
            component,
            inputs,
            visits * access_bytes,
            f"{access_bytes} B a visit in the access log ({access_class} class)",
            key=inputs.access_log_ingestion_key,
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


def traffic_metrics_usage(inputs: CostInputs, visits: float) -> list[Usage]:
    """The custom metrics traffic publishes: billed by the month for each hour they are published, so flat once
    every hour has a visit, whatever the volume: in the month's bill, not in the cost per visit."""
    if not visits:
        return []
    return [
        Usage(
            "custom metrics with traffic",
            "custom_metrics",
            len(inputs.requests.metrics_with_traffic) * min(1.0, visits / HOURS_PER_MONTH),
            "the counter's EMF metrics, flat once published every hour: "
            + ", ".join(sorted({_metric_label(metric) for metric in inputs.requests.metrics_with_traffic})),
        )
    ]


def _metric_label(metric: tuple[str, tuple[tuple[str, str], ...]]) -> str:
    name, dimensions = metric
    extra = [f"{key}={value}" for key, value in dimensions if key != catalog.SERVICE_DIMENSION]
    return f"{name}{{{','.join(extra)}}}" if extra else name
