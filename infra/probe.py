"""The availability probe: a Lambda (functions/probe) that EventBridge Scheduler invokes every
`probe_interval_minutes` to check the public site and API from outside, as a visitor's browser would."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction, scheduler_role

PROBE_MEMORY_MB: Final = 128
PROBE_TIMEOUT: Final = Duration.seconds(30)
"""Three requests of at most 5 s each (functions/common/http.py), plus a cold start: well inside 30 s."""
PROBE_RETRY_ATTEMPTS: Final = 0
"""Neither Scheduler nor Lambda retries a probe: a retry would put a second datapoint in the alarm's period."""
PROBE_MAX_EVENT_AGE: Final = Duration.minutes(1)
"""A probe not started within a minute is dropped (the minimum both services accept): a late one tells nothing."""


class AvailabilityProbe(Construct):
    """Exposes `probe` (PythonFunction; its `log_group` is where failures are logged) and `schedule`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        site_url: str,
        site_origin: str,
        api_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.probe = PythonFunction(
            self,
            "Probe",
            handler=catalog.PROBE_HANDLER,
            description="Availability probe: checks the public site and API as a visitor's browser would",
            memory_mb=PROBE_MEMORY_MB,
            timeout=PROBE_TIMEOUT,
            log_retention_days=config.log_retention_days,
            environment={
                catalog.PROBE_SITE_URL_ENV: site_url,
                catalog.PROBE_SITE_ORIGIN_ENV: site_origin,
                catalog.PROBE_API_URL_ENV: api_url,
            },
            # Its failures are its log lines and metric; a trace of three GETs adds nothing but a bill (docs/cost.md).
            tracing=lambda_.Tracing.DISABLED,
        )
        self.probe.function.configure_async_invoke(retry_attempts=PROBE_RETRY_ATTEMPTS)
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"Runs the availability probe every {config.probe_interval_minutes} minute(s)",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(config.probe_interval_minutes)),
            target=scheduler_targets.LambdaInvoke(
                self.probe.function,
                role=scheduler_role(
                    self, self.probe, "EventBridge Scheduler: invokes the availability probe, nothing else"
                ),
                retry_attempts=PROBE_RETRY_ATTEMPTS,
                max_event_age=PROBE_MAX_EVENT_AGE,
            ),
        )
