"""The application stack: composes the constructs, nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from infra.api import CounterApi
from infra.config import DeploymentConfig
from infra.data import VisitsTable

# Output logical ids are fixed: the deploy workflow and smoke test read them by name.
API_URL_OUTPUT = "ApiUrl"
TABLE_NAME_OUTPUT = "VisitsTableName"


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
        self.api = CounterApi(
            self,
            "Api",
            config=config,
            table=self.visits.table,
            allowed_origins=config.site_origins,
        )
        _output(self, API_URL_OUTPUT, self.api.url, "Base URL of the visit counter API")
        _output(self, TABLE_NAME_OUTPUT, self.visits.table.table_name, "DynamoDB table holding the count")


def _output(stack: Stack, logical_id: str, value: str, description: str) -> None:
    output = CfnOutput(stack, logical_id, value=value, description=description)
    output.override_logical_id(logical_id)
