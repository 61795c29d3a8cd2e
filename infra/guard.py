"""The throttle guard's infrastructure: what the notifier needs to lower and restore the API stage's throttle
while `api-request-spike` is in ALARM (docs/alerting.md#throttle-guard; the logic is functions/notifier/guard.py).

NOTE: IAM authorizes UpdateStage as `apigateway:PATCH` on the stage's resource path.
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagementv2.html
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigw

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction

GUARD_STAGE_ACTIONS: Final = ("apigateway:PATCH",)
"""UpdateStage, and no other call: GetStage (apigateway:GET) is not needed to set absolute limits."""


def attach_throttle_guard(notifier: PythonFunction, stage: apigw.HttpStage, config: DeploymentConfig) -> None:
    """Lets the notifier engage and release the guard on `stage` (the API's only one, `$default`)."""
    environment = {
        catalog.GUARD_API_ID_ENV: stage.api.api_id,
        catalog.GUARD_STAGE_NAME_ENV: stage.stage_name,
        catalog.GUARD_RATE_ENV: str(config.guard_rate_per_second),
        catalog.GUARD_BURST_ENV: str(config.guard_burst_requests),
        catalog.NORMAL_RATE_ENV: str(config.api_throttle_rate_per_second),
        catalog.NORMAL_BURST_ENV: str(config.api_throttle_burst_requests),
    }
    notifier.add_environment(environment)
    stack = Stack.of(stage)
    stage_arn = f"arn:{stack.partition}:apigateway:{stack.region}::/apis/{stage.api.api_id}/stages/{stage.stage_name}"
    notifier.allow(GUARD_STAGE_ACTIONS, [stage_arn])
