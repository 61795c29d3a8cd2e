"""The operations dashboard, defined once: "is the site healthy, how much is it used, is anything costing money".

Rows, top to bottom: header, alarm status, visits, API traffic, API latency, counter Lambda, cold starts,
DynamoDB, notifier health, latest errors. Metrics come from the resources themselves and the shared catalog;
threshold lines come from the alarm objects, so no metric name or number is written here twice.
The CDK app builds it (infra/monitoring.py); `make dashboard` and the local console render its synthesized body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from functions.common import catalog

FULL_WIDTH: Final = 24
GRAPH_HEIGHT: Final = 6
PERIOD: Final = Duration.minutes(5)

# Lambda's JSON log format turns each REPORT line into a `platform.report` record; init duration is only
# present on a cold start. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
COLD_START_QUERY: Final = (
    'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n'
    "| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, "
    "max(record.metrics.initDurationMs) as maxInitMs by bin(1h)"
)
LATEST_ERRORS_QUERY: Final = (
    "fields @timestamp, service, message, exception_name, correlation_id\n"
    '| filter level = "ERROR"\n'
    "| sort @timestamp desc\n"
    "| limit 20"
)


@dataclass(frozen=True)
class DashboardSources:
    """What the dashboard shows, as the stack's constructs expose it."""

    stack_name: str
    runbook_url: str
    http_api: apigw.HttpApi
    counter: lambda_.IFunction
    counter_log_group: logs.ILogGroup
    visits_table: dynamodb.ITableV2
    notifier: lambda_.IFunction
    notifier_log_group: logs.ILogGroup
    dead_letter_queue: sqs.IQueue
    alarms: Mapping[str, cloudwatch.Alarm]


def operations_widgets(sources: DashboardSources) -> list[list[cloudwatch.IWidget]]:
    """The dashboard's rows, each a list of widgets whose widths add up to 24."""
    alarms = sources.alarms
    api = sources.http_api
    counter = sources.counter
    table = sources.visits_table
    visits = cloudwatch.Metric(
        namespace=catalog.METRICS_NAMESPACE,
        metric_name=catalog.VISITS_METRIC,
        dimensions_map={catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE},
        statistic="Sum",
        period=PERIOD,
        label="Views",
    )
    store_failures = cloudwatch.Metric(
        namespace=catalog.METRICS_NAMESPACE,
        metric_name=catalog.STORE_FAILURES_METRIC,
        dimensions_map={catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE},
        statistic="Sum",
        period=PERIOD,
        label="Visit store failures (503)",
    )
    return [
        [
            cloudwatch.TextWidget(
                markdown=(
                    f"# {sources.stack_name}: resume site operations\n"
                    "Visitor counter (HTTP API → Lambda → DynamoDB) and its alerting. "
                    f"Every alarm has a section in the [runbook]({sources.runbook_url}): what it means, how to "
                    "confirm it here, what to do. Threshold lines on the graphs are the alarms' own."
                ),
                width=FULL_WIDTH,
                height=2,
            )
        ],
        [
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[alarms[alarm_id] for alarm_id in catalog.ALARM_IDS],
                sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
                width=FULL_WIDTH,
                height=4,
            )
        ],
        visit_widgets(visits),
        [
            _graph(
                "API requests and errors",
                [
                    api.metric_count(period=PERIOD, statistic="Sum", label="Requests"),
                    api.metric_client_error(period=PERIOD, statistic="Sum", label="4xx"),
                    api.metric_server_error(period=PERIOD, statistic="Sum", label="5xx"),
                ],
                _annotations(alarms, catalog.API_REQUEST_SPIKE_ALARM, catalog.API_5XX_ALARM),
                width=12,
            ),
            _graph(
                "API latency",
                [api.metric_latency(period=PERIOD, statistic=p, label=p) for p in ("p50", "p90", "p99")],
                _annotations(alarms, catalog.API_P99_LATENCY_ALARM),
                width=12,
            ),
        ],
        [
            _graph(
                "Counter invocations, errors, throttles",
                [
                    counter.metric_invocations(period=PERIOD, statistic="Sum", label="Invocations"),
                    counter.metric_errors(period=PERIOD, statistic="Sum", label="Errors"),
                    counter.metric_throttles(period=PERIOD, statistic="Sum", label="Throttles"),
                    store_failures,
                ],
                _annotations(alarms, catalog.COUNTER_INVOCATION_SPIKE_ALARM, catalog.COUNTER_ERRORS_ALARM),
                width=8,
            ),
            _graph(
                "Counter duration",
                [counter.metric_duration(period=PERIOD, statistic=p, label=p) for p in ("p50", "p99")],
                _annotations(alarms, catalog.COUNTER_P99_DURATION_ALARM),
                width=8,
            ),
            _graph(
                "Counter concurrent executions",
                [counter.metric("ConcurrentExecutions", period=PERIOD, statistic="Maximum", label="Concurrent")],
                width=8,
            ),
        ],
        [
            cloudwatch.LogQueryWidget(
                title="Cold starts (count, init duration ms)",
                log_group_names=[sources.counter_log_group.log_group_name],
                query_string=COLD_START_QUERY,
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=12,
                height=GRAPH_HEIGHT,
            ),
            _graph(
                "DynamoDB capacity and throttles",
                [
                    table.metric_consumed_read_capacity_units(period=PERIOD, statistic="Sum", label="Read units"),
                    table.metric_consumed_write_capacity_units(period=PERIOD, statistic="Sum", label="Write units"),
                    table.metric("ReadThrottleEvents", period=PERIOD, statistic="Sum", label="Read throttles"),
                    table.metric("WriteThrottleEvents", period=PERIOD, statistic="Sum", label="Write throttles"),
                ],
                _annotations(alarms, catalog.VISITS_TABLE_ERRORS_ALARM),
                width=12,
            ),
        ],
        [
            _graph(
                "Notifier health",
                [
                    sources.notifier.metric_invocations(period=PERIOD, statistic="Sum", label="Invocations"),
                    sources.notifier.metric_errors(period=PERIOD, statistic="Sum", label="Errors"),
                    sources.dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label="Dead letters"
                    ),
                ],
                _annotations(alarms, catalog.NOTIFIER_ERRORS_ALARM, catalog.NOTIFIER_DLQ_ALARM),
                width=8,
            ),
            cloudwatch.LogQueryWidget(
                title="Latest errors",
                log_group_names=[sources.counter_log_group.log_group_name, sources.notifier_log_group.log_group_name],
                query_string=LATEST_ERRORS_QUERY,
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=16,
                height=GRAPH_HEIGHT,
            ),
        ],
    ]


def visit_widgets(views: cloudwatch.Metric) -> list[cloudwatch.IWidget]:
    """The visits row: views and unique visitors counted, and what was ignored (crawlers, no User-Agent, over a
    visitor's daily limit), each from the counter's EMF on the fixed {service} dimension (plus `reason`)."""
    unique_visitors = _counter_metric(catalog.UNIQUE_VISITORS_METRIC, "Unique visitors")
    ignored = _counter_metric(catalog.IGNORED_VISITS_METRIC, "Ignored visits")
    by_reason = [
        _counter_metric(catalog.IGNORED_VISITS_METRIC, reason.replace("_", " "), reason=reason)
        for reason in catalog.IGNORE_REASONS
    ]
    return [
        _graph("Visits recorded", [views, unique_visitors, ignored], width=12),
        _graph("Ignored visits by reason", by_reason, width=6),
        cloudwatch.SingleValueWidget(
            title="Visits in the period",
            metrics=[views, unique_visitors, ignored],
            set_period_to_time_range=True,
            width=6,
            height=GRAPH_HEIGHT,
        ),
    ]


def _counter_metric(name: str, label: str, *, reason: str | None = None) -> cloudwatch.Metric:
    dimensions = {catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE}
    if reason is not None:
        dimensions[catalog.IGNORE_REASON_DIMENSION] = reason
    return cloudwatch.Metric(
        namespace=catalog.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions,
        statistic="Sum",
        period=PERIOD,
        label=label,
    )


def _graph(
    title: str,
    metrics: Sequence[cloudwatch.IMetric],
    annotations: Sequence[cloudwatch.HorizontalAnnotation] = (),
    *,
    width: int,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title, left=list(metrics), left_annotations=list(annotations), width=width, height=GRAPH_HEIGHT
    )


def _annotations(alarms: Mapping[str, cloudwatch.Alarm], *alarm_ids: str) -> list[cloudwatch.HorizontalAnnotation]:
    """Each alarm's threshold as a line on the graph it watches (the alarm object is the single source)."""
    return [alarms[alarm_id].to_annotation() for alarm_id in alarm_ids]
