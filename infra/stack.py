"""The application stack: composes the constructs, nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from functions.common import catalog
from infra.alert_topics import AlertTopics
from infra.api import CounterApi
from infra.budget import CostBudget
from infra.config import DeploymentConfig
from infra.data import VisitsTable
from infra.digest import WeeklyDigest
from infra.guard import attach_throttle_guard
from infra.hosting import cors_origins, site_hosting
from infra.monitoring.alarms import AlarmSet
from infra.monitoring.counter import CounterMonitor
from infra.monitoring.dashboard import DashboardSources, OperationsDashboard
from infra.monitoring.http_api import HttpApiMonitor
from infra.monitoring.notifier import NotifierMonitor
from infra.monitoring.probe import ProbeMonitor
from infra.monitoring.visits_table import VisitsTableMonitor
from infra.notifier import NotifierService
from infra.probe import AvailabilityProbe


class ResumeBackendStack(Stack):
    def __init__(self, scope: Construct, config: DeploymentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description="Serverless resume backend: visit counter API, alarms, notifier, dashboard, site",
            **kwargs,
        )
        self.visits = VisitsTable(self, "Visits", config=config)
        # The site's origin goes into the API's CORS; the site's deploy-time steps need the API (docs/hosting.md).
        self.site = site_hosting(self, "Site", config=config)
        self.api = CounterApi(
            self, "Api", config=config, table=self.visits.table, allowed_origins=cors_origins(self.site, config)
        )
        self.site.publish(api_url=self.api.url, api_origin=self.api.http_api.api_endpoint)
        self.alert_topics = AlertTopics(self, "AlertTopics", config=config)
        self.budget = CostBudget(
            self,
            "Budget",
            budget_name=f"{config.stack_name}-monthly-cost",
            monthly_limit_usd=config.monthly_budget_usd,
            topic=self.alert_topics.alerting_health_topic,
            topic_key=self.alert_topics.topic_key,
        )
        self.notifier = NotifierService(self, "Notifier", config=config, alarm_topic=self.alert_topics.alarm_topic)
        attach_throttle_guard(self.notifier.notifier, self.api.stage, config)
        self.probe = AvailabilityProbe(
            self,
            "Availability",
            config=config,
            site_url=self.site.url,
            site_origin=self.site.origin,
            api_url=self.api.url,
        )
        # site-unavailable emails quote the probe's latest failed check, read from its log group.
        self.notifier.read_probe_failures(self.probe.probe.log_group)
        self._monitor(config)
        self._outputs()

    def _monitor(self, config: DeploymentConfig) -> None:
        """Monitoring beside what it watches: each monitor declares its metrics, alarms and widgets; the stack
        gives the alarms their topics (AlarmSet) and the widgets their places (OperationsDashboard)."""
        thresholds = config.alarm_thresholds
        notifier = self.notifier
        http_api = HttpApiMonitor(self.api.http_api, thresholds)
        counter = CounterMonitor(self.api.counter.function, self.api.counter.log_group, thresholds=thresholds)
        table_monitor = VisitsTableMonitor(self.visits.table)
        notifier_monitor = NotifierMonitor(
            notifier.notifier.function, notifier.dead_letter_queue, self.alert_topics.alarm_topic
        )
        probe = ProbeMonitor(interval_minutes=config.probe_interval_minutes)
        runbook_url = catalog.runbook_url(config.github_repository, config.deploy_branch)
        self.alarms = AlarmSet(
            self,
            "Alarms",
            stack_name=config.stack_name,
            runbook_url=runbook_url,
            specs=[spec for monitor in (probe, http_api, counter, notifier_monitor) for spec in monitor.alarm_specs],
            topics=self.alert_topics.by_route,
        )
        # The notifier links an alarm to its runbook section only when it is one of these.
        notifier.notifier.add_environment({catalog.ALARM_IDS_ENV: ",".join(sorted(self.alarms.alarms))})
        if config.digest_schedule is not None or config.reader_notes:
            self.digest = WeeklyDigest(
                self,
                "Digest",
                config=config,
                notifier=notifier,
                alarms=self.alarms.alarms,
                table=self.visits.table,
            )
        self.monitoring = OperationsDashboard(
            self,
            "Monitoring",
            sources=DashboardSources(
                stack_name=config.stack_name,
                runbook_url=runbook_url,
                http_api=http_api,
                counter=counter,
                visits_table=table_monitor,
                notifier=notifier_monitor,
                notifier_log_group=notifier.notifier.log_group,
                probe=probe,
                probe_log_group=self.probe.probe.log_group,
                alarms=self.alarms,
            ),
        )

    def _outputs(self) -> None:
        """Outputs with fixed logical ids: the deploy workflow, `make verify` and the docs read them by name."""
        topics, notifier = self.alert_topics, self.notifier
        outputs = {
            catalog.API_URL_OUTPUT: (self.api.url, "Base URL of the visit counter API"),
            catalog.SITE_URL_OUTPUT: (self.site.url, "URL of the resume site"),
            **self.site.domain_outputs(),
            catalog.TABLE_NAME_OUTPUT: (self.visits.table.table_name, "DynamoDB table holding the count"),
            catalog.ALARM_TOPIC_OUTPUT: (topics.alarm_topic.topic_arn, "SNS topic of the alarms (to the notifier)"),
            catalog.ALERTING_HEALTH_TOPIC_OUTPUT: (
                topics.alerting_health_topic.topic_arn,
                "SNS topic of the alerting-health alarms (plain email)",
            ),
            catalog.NOTIFIER_FUNCTION_OUTPUT: (notifier.notifier.function.function_name, "Alarm notifier Lambda"),
            catalog.NOTIFIER_DLQ_OUTPUT: (notifier.dead_letter_queue.queue_url, "Alerts the notifier could not send"),
        }
        for logical_id, (value, description) in outputs.items():
            CfnOutput(self, logical_id, value=value, description=description).override_logical_id(logical_id)
