"""The CloudWatch operations dashboard, built from dashboards/operations.py."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from dashboards.operations import DashboardSources, operations_widgets
from functions.common import catalog


class OperationsDashboard(Construct):
    """Exposes `dashboard`."""

    def __init__(self, scope: Construct, construct_id: str, *, sources: DashboardSources) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=catalog.dashboard_name(sources.stack_name),
            default_interval=Duration.days(7),
            widgets=operations_widgets(sources),
        )
