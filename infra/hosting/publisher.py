"""The deploy-time step of the site: functions/site_publisher behind a CDK custom resource Provider."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import CustomResource, Duration
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.lambda_factory import PythonFunction, role_writing_own_logs
from infra.nag import arn_of, suppress_finding

# Amplify deploys a static site of a few files in well under a minute; the rest is room for stopping a stuck
# job first. The Provider framework waits up to 15 minutes for the handler, so this stays below that.
PUBLISHER_TIMEOUT: Final = Duration.minutes(10)
PUBLISHER_MEMORY_MB: Final = 256


class SitePublisher(Construct):
    """Exposes `function` (the PythonFunction; grant it what its resources need) and `add_step(...)`."""

    def __init__(self, scope: Construct, construct_id: str, *, log_retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Handler",
            handler="functions.site_publisher.app.lambda_handler",
            description="Publishes the resume site at deploy time (custom resource)",
            memory_mb=PUBLISHER_MEMORY_MB,
            timeout=PUBLISHER_TIMEOUT,
            log_retention_days=log_retention_days,
        )
        # NOTE: the framework gets its own role that may only write its own logs and invoke the handler,
        # instead of the default one with the AWSLambdaBasicExecutionRole managed policy (logs:* everywhere).
        framework_role, framework_logs = role_writing_own_logs(
            self,
            role_id="FrameworkRole",
            log_group_id="FrameworkLogs",
            description="Custom resource framework of the site publisher: writes its own logs, invokes the handler",
            log_retention_days=log_retention_days,
        )
        self._provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.function.function,
            framework_on_event_role=framework_role,
            log_group=framework_logs,
        )
        # The framework may invoke `<handler arn>:*` (any version) as well as the function itself.
        suppress_finding(
            framework_role, f"AwsSolutions-IAM5[Resource::{arn_of(self.function.function)}:*]", "invoke-versions"
        )

    def add_step(self, construct_id: str, *, resource_type: str, properties: Mapping[str, Any]) -> CustomResource:
        return CustomResource(
            self,
            construct_id,
            service_token=self._provider.service_token,
            resource_type=resource_type,
            properties=dict(properties),
        )


def settings_digest(settings: object) -> str:
    """A short digest of literal settings, for a step's contract.REDO_WHEN."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
