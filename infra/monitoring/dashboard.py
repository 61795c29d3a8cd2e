"""The operations dashboard (docs/dashboards.md): each monitor supplies the widgets of what it watches, with its
own alarms' threshold lines; this module lays them out in rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.common import catalog
from infra.monitoring.alarms import AlarmSet
from infra.monitoring.counter import CounterMonitor
from infra.monitoring.http_api import HttpApiMonitor
from infra.monitoring.metrics import FULL_WIDTH, log_table
from infra.monitoring.notifier import NotifierMonitor
from infra.monitoring.probe import ProbeMonitor
from infra.monitoring.visits_table import VisitsTableMonitor

DEFAULT_INTERVAL: Final = Duration.days(7)
LATEST_ERRORS_QUERY: Final = (
    "fields @timestamp, service, message, exception_name, correlation_id\n"
    '| filter level = "ERROR"\n'
    "| sort @timestamp desc\n"
    "| limit 20"
)

LATEST_PROBE_FAILURES_QUERY: Final = (
    f"fields @timestamp, {catalog.PROBE_CHECK_LOG_KEY}, {catalog.PROBE_RESPONSE_LOG_KEY}\n"
    f"| filter ispresent({catalog.PROBE_CHECK_LOG_KEY})\n"
    "| sort @timestamp desc\n"
    "| limit 20"
)

# Where readers come from: Logs Insights over the counter's own lines (functions/counter/app.py), not billed metrics.
READER_SOURCES_QUERY: Final = (
    f"filter ispresent({catalog.SOURCE_LOG_KEY})\n"
    f"| stats count(*) as readers by {catalog.SOURCE_LOG_KEY}\n"
    "| sort readers desc"
)
APPLICATION_LINKS_QUERY: Final = (
    f"filter ispresent({catalog.REF_LOG_KEY})\n"
    "| stats count(*) as views, min(@timestamp) as firstOpened, max(@timestamp) as lastOpened "
    f"by {catalog.REF_LOG_KEY}\n"
    "| sort lastOpened desc"
)
DOWNLOADS_QUERY: Final = f"filter ispresent({catalog.DOWNLOADS_LOG_KEY})\n| stats count(*) as downloads by bin(1d)"


@dataclass(frozen=True)
class DashboardSources:
    """What the dashboard shows, as the stack composes it."""

    stack_name: str
    runbook_url: str
    http_api: HttpApiMonitor
    counter: CounterMonitor
    visits_table: VisitsTableMonitor
    notifier: NotifierMonitor
    notifier_log_group: logs.ILogGroup
    probe: ProbeMonitor
    probe_log_group: logs.ILogGroup
    alarms: AlarmSet


class OperationsDashboard(Construct):
    """Exposes `dashboard`."""

    def __init__(self, scope: Construct, construct_id: str, *, sources: DashboardSources) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=catalog.dashboard_name(sources.stack_name),
            default_interval=DEFAULT_INTERVAL,
            widgets=operations_rows(sources),
        )


def operations_rows(sources: DashboardSources) -> list[list[cloudwatch.IWidget]]:
    """The dashboard's rows, each a list of widgets whose widths add up to 24."""
    annotations = sources.alarms.annotations
    return [
        [_header(sources)],
        [
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=list(sources.alarms.alarms.values()),
                sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
                width=FULL_WIDTH,
                height=4,
            )
        ],
        [
            *sources.probe.widgets(annotations),
            log_table("Latest failed probe checks", [sources.probe_log_group], LATEST_PROBE_FAILURES_QUERY, width=12),
        ],
        sources.counter.visits_widgets(),
        _readers_row(sources.counter.log_group),
        sources.http_api.widgets(annotations),
        sources.counter.widgets(annotations),
        [sources.counter.cold_starts_widget(), *sources.visits_table.widgets()],
        [
            *sources.notifier.widgets(annotations),
            log_table(
                "Latest errors",
                [sources.counter.log_group, sources.notifier_log_group],
                LATEST_ERRORS_QUERY,
                width=16,
            ),
        ],
    ]


def _readers_row(counter_log_group: logs.ILogGroup) -> list[cloudwatch.IWidget]:
    return [
        log_table("Where readers come from", [counter_log_group], READER_SOURCES_QUERY, width=7),
        log_table("Application links (make link)", [counter_log_group], APPLICATION_LINKS_QUERY, width=11),
        log_table("Résumé downloads by UTC day", [counter_log_group], DOWNLOADS_QUERY, width=6),
    ]


def _header(sources: DashboardSources) -> cloudwatch.IWidget:
    return cloudwatch.TextWidget(
        markdown=(
            f"# {sources.stack_name}: resume site operations\n"
            "Visitor counter (HTTP API → Lambda → DynamoDB) and its alerting. "
            f"Every alarm has a section in the [runbook]({sources.runbook_url}): what it means, how to "
            "confirm it here, what to do. Threshold lines on the graphs are the alarms' own."
        ),
        width=FULL_WIDTH,
        height=2,
    )
