"""The application stack: composes the constructs, nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from dashboards.operations import DashboardSources
from functions.common import catalog

# Output logical ids are fixed: the deploy workflow and the smoke test read them by name.
from functions.common.catalog import (
    ALARM_TOPIC_OUTPUT,
    ALERTING_HEALTH_TOPIC_OUTPUT,
    API_URL_OUTPUT,
    NOTIFIER_DLQ_OUTPUT,
    NOTIFIER_FUNCTION_OUTPUT,
    SITE_URL_OUTPUT,
    TABLE_NAME_OUTPUT,
)
from infra.alerting import Alerting
from infra.api import CounterApi
from infra.config import DeploymentConfig
from infra.data import VisitsTable
from infra.hosting import cors_origins, site_hosting
from infra.monitoring import OperationsDashboard


class ResumeBackendStack(Stack):
    def __init__(self, scope: Construct, config: DeploymentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description="Serverless resume backend: visit counter API, alarms, notifier, dashboard, site",
            **kwargs,
        )
        self.visits = VisitsTable(self, "Visits")
        # The site's origin goes into the API's CORS; the site's deploy-time steps need the API (docs/hosting.md).
        self.site = site_hosting(self, "Site", config=config)
        self.api = CounterApi(
            self,
            "Api",
            config=config,
            table=self.visits.table,
            allowed_origins=cors_origins(self.site.origin, config),
        )
        self.site.publish(api_url=self.api.url, api_origin=self.api.http_api.api_endpoint)
        _output(self, API_URL_OUTPUT, self.api.url, "Base URL of the visit counter API")
        _output(self, SITE_URL_OUTPUT, self.site.url, "URL of the resume site")
        _output(self, TABLE_NAME_OUTPUT, self.visits.table.table_name, "DynamoDB table holding the count")
        self.alerting = Alerting(
            self,
            "Alerting",
            config=config,
            counter=self.api.counter,
            http_api=self.api.http_api,
            visits_table=self.visits.table,
        )
        alerting = self.alerting
        _output(self, ALARM_TOPIC_OUTPUT, alerting.alarm_topic.topic_arn, "SNS topic of the alarms (to the notifier)")
        _output(
            self,
            ALERTING_HEALTH_TOPIC_OUTPUT,
            alerting.alerting_health_topic.topic_arn,
            "SNS topic of the alerting-health alarms (plain email)",
        )
        _output(self, NOTIFIER_FUNCTION_OUTPUT, alerting.notifier.function.function_name, "Alarm notifier Lambda")
        _output(self, NOTIFIER_DLQ_OUTPUT, alerting.dead_letter_queue.queue_url, "Alerts the notifier could not send")
        self.monitoring = OperationsDashboard(
            self,
            "Monitoring",
            sources=DashboardSources(
                stack_name=config.stack_name,
                runbook_url=catalog.runbook_url(config.github_repository, config.deploy_branch),
                http_api=self.api.http_api,
                counter=self.api.counter.function,
                counter_log_group=self.api.counter.log_group,
                visits_table=self.visits.table,
                notifier=alerting.notifier.function,
                notifier_log_group=alerting.notifier.log_group,
                dead_letter_queue=alerting.dead_letter_queue,
                alarms=alerting.alarms,
            ),
        )


def _output(stack: Stack, logical_id: str, value: str, description: str) -> None:
    output = CfnOutput(stack, logical_id, value=value, description=description)
    output.override_logical_id(logical_id)
