"""Monitor of the counter Lambda: how often it runs, how it fails, how slow it is, and what it counted (EMF)."""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from functions.common import catalog
from infra.config import AlarmThresholds
from infra.monitoring.alarm_spec import AlarmSpec
from infra.monitoring.metrics import GRAPH_HEIGHT, MAXIMUM, PERIOD, SUM, Annotations, counter_metric, graph, log_table

COUNTER_THROTTLES_ALARM: Final = "counter-throttles"
VISIT_STORE_FAILURES_ALARM: Final = "visit-store-failures"

# The counter logs each cold start's import time itself (functions/counter/app.py): Lambda's report lines are off.
COLD_START_QUERY: Final = (
    f'filter message = "{catalog.COLD_START_LOG_MESSAGE}"\n'
    f"| stats count(*) as coldStarts, avg({catalog.IMPORT_MS_LOG_KEY}) as avgImportMs, "
    f"max({catalog.IMPORT_MS_LOG_KEY}) as maxImportMs by bin(1h)"
)


class CounterMonitor:
    def __init__(self, function: lambda_.IFunction, log_group: logs.ILogGroup, *, thresholds: AlarmThresholds) -> None:
        self.log_group = log_group
        self._function = function
        self.invocations = function.metric_invocations(period=PERIOD, statistic=SUM)
        self.errors = function.metric_errors(period=PERIOD, statistic=SUM)
        self.throttles = function.metric_throttles(period=PERIOD, statistic=SUM)
        self.visits = counter_metric(catalog.VISITS_METRIC)
        self.unique_visitors = counter_metric(catalog.UNIQUE_VISITORS_METRIC)
        self.ignored_visits = counter_metric(catalog.IGNORED_VISITS_METRIC)
        self.store_failures = counter_metric(catalog.STORE_FAILURES_METRIC)
        self.alarm_specs = self._alarm_specs(thresholds)

    def _alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        """Only what the API's alarms cannot see (docs/alerting.md, "What covers what")."""
        return [
            AlarmSpec(
                COUNTER_THROTTLES_ALARM,
                "Counter throttled",
                "throttles",
                self.throttles,
                thresholds.counter_throttles_per_5_minutes,
                "Health: Lambda refused to run the counter: it is at its reserved concurrency (if one is set) or "
                "at the account's limit; visitors get errors. Check for a spike or abuse first; for real traffic "
                "raise the reservation or the account's quota (L-B99A9384).",
            ),
            AlarmSpec(
                VISIT_STORE_FAILURES_ALARM,
                "Visits not stored",
                "failures",
                self.store_failures,
                thresholds.counter_store_failures_per_5_minutes,
                "Health: the counter could not store or read the count (DynamoDB throttled, failed or unreachable) "
                "and answered 503. Check the counter's logs for the error and the visits table's metrics.",
            ),
        ]

    def visits_widgets(self) -> list[cloudwatch.IWidget]:
        """The visits row: views and unique visitors counted, and what was ignored, by reason (the counter's EMF)."""
        views = self.visits.with_(label="Views")
        unique_visitors = self.unique_visitors.with_(label="Unique visitors")
        ignored = self.ignored_visits.with_(label="Ignored visits")
        by_reason = [
            counter_metric(catalog.IGNORED_VISITS_METRIC, {catalog.IGNORE_REASON_DIMENSION: reason}).with_(
                label=reason.replace("_", " ")
            )
            for reason in catalog.IGNORE_REASONS
        ]
        return [
            graph("Visits recorded", [views, unique_visitors, ignored], width=12),
            graph("Ignored visits by reason", by_reason, width=6),
            cloudwatch.SingleValueWidget(
                title="Visits in the period",
                metrics=[views, unique_visitors, ignored],
                set_period_to_time_range=True,
                width=6,
                height=GRAPH_HEIGHT,
            ),
        ]

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        concurrent = self._function.metric("ConcurrentExecutions", period=PERIOD, statistic=MAXIMUM)
        return [
            graph(
                "Counter invocations, errors, throttles",
                [
                    self.invocations.with_(label="Invocations"),
                    self.errors.with_(label="Errors"),
                    self.throttles.with_(label="Throttles"),
                    self.store_failures.with_(label="Visit store failures (503)"),
                ],
                annotations(COUNTER_THROTTLES_ALARM, VISIT_STORE_FAILURES_ALARM),
                width=8,
            ),
            graph(
                "Counter duration",
                [self._function.metric_duration(period=PERIOD, statistic=p, label=p) for p in ("p50", "p99")],
                width=8,
            ),
            graph("Counter concurrent executions", [concurrent.with_(label="Concurrent")], width=8),
        ]

    def cold_starts_widget(self) -> cloudwatch.IWidget:
        return log_table("Cold starts (count, handler import ms)", [self.log_group], COLD_START_QUERY, width=12)
