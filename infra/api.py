"""The public visit-counter API: HTTP API (payload v2) → counter Lambda → visits table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from functions.common import catalog
from functions.counter import browsers, crawlers
from infra.config import REPO_ROOT, DeploymentConfig
from infra.lambda_factory import PythonFunction, log_retention
from infra.nag import suppress
from infra.stateful import STATEFUL_REMOVAL_POLICY

# The table actions functions/counter/visits.py and visitors.py call, and no others (PutItem: the day's salt).
COUNTER_TABLE_ACTIONS: Final = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
CORS_MAX_AGE: Final = Duration.hours(1)
# The crawler list and the User-Agent parser's rules ship only in the compact form the counter reads, written at
# synth from the pinned distributions: the counter never imports the parser (~250 ms of a cold start,
# docs/performance.md).
COMPACT_CRAWLER_LIST: Final = Path(crawlers.__file__).with_name(crawlers.COMPACT_FILE).relative_to(REPO_ROOT).as_posix()
COMPACT_BROWSER_RULES: Final = (
    Path(browsers.__file__).with_name(browsers.COMPACT_FILE).relative_to(REPO_ROOT).as_posix()
)

# One lean JSON line per request, what the runbook reads and no more (docs/cost.md); its time is the log event's.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
# NOTE: nothing that identifies a visitor (no $context.identity.sourceIp, no user agent): docs/privacy.md.
ACCESS_LOG_FIELDS: Final = {
    "id": "$context.requestId",
    "route": "$context.routeKey",
    "status": "$context.status",
    "ms": "$context.responseLatency",
    "lambdaMs": "$context.integrationLatency",
    "error": "$context.error.message",
    "lambdaError": "$context.integrationErrorMessage",
}


class CounterApi(Construct):
    """Exposes `counter` (the PythonFunction), `http_api`, `stage`, `access_logs` and `url`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        table: dynamodb.ITableV2,
        allowed_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.counter = PythonFunction(
            self,
            "Counter",
            handler=catalog.COUNTER_HANDLER,
            description="Visit counter: GET/POST /visits",
            memory_mb=config.counter_memory_mb,
            timeout=Duration.seconds(config.counter_timeout_seconds),
            log_retention_days=config.log_retention_days,
            reserved_concurrency=config.counter_reserved_concurrency,
            environment={
                catalog.TABLE_NAME_ENV: table.table_name,
                catalog.MAX_VIEWS_ENV: str(config.max_views_per_visitor_per_day),
                catalog.MAX_VIEWS_PER_NETWORK_ENV: str(config.max_views_per_network_per_day),
                # The list CORS allows (below): one source for which pages may count a visit.
                catalog.ALLOWED_ORIGINS_ENV: ",".join(allowed_origins),
            },
            generated_files={
                COMPACT_CRAWLER_LIST: crawlers.compact_file_content(),
                COMPACT_BROWSER_RULES: browsers.compact_file_content(),
            },
            tracing=lambda_.Tracing[config.counter_tracing.upper()],  # config's names are the enum's, lower case
            # Lambda's start and report lines: ~400 bytes of every visit's logs (docs/cost.md); the counter logs
            # its cold starts itself.
            platform_logs=False,
        )
        table.grant(self.counter.function, *COUNTER_TABLE_ACTIONS)
        # NOTE: the HTTP API answers CORS preflight itself and, with several origins, echoes the one that
        # matches; the Lambda never sees OPTIONS and sets no CORS headers of its own.
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="Resume site visit counter",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(allowed_origins),
                allow_methods=[apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST],
                allow_headers=["content-type"],
                max_age=CORS_MAX_AGE,
            ),
        )
        # NOTE: the Infrequent Access class halves the ingestion price of the line every request writes (docs/cost.md)
        # and keeps Logs Insights, all the runbook uses; it gives up metric and subscription filters and Live Tail,
        # which nothing here uses. Fixed at creation. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch_Logs_Log_Classes.html
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(config.log_retention_days),
            removal_policy=STATEFUL_REMOVAL_POLICY,
            log_group_class=logs.LogGroupClass.INFREQUENT_ACCESS,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_throttle_rate_per_second,
                burst_limit=config.api_throttle_burst_requests,
            ),
        )
        # HttpStage takes access log settings only as an interface CDK ships no class for: set on the L1 stage.
        stage_resource = self.stage.node.default_child
        assert isinstance(stage_resource, apigw.CfnStage)
        stage_resource.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn,
            format=json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")),
        )
        integration = HttpLambdaIntegration("CounterIntegration", self.counter.function)  # payload format 2.0
        for path, methods in catalog.COUNTER_ROUTES.items():
            self.http_api.add_routes(
                path=path,
                methods=[apigw.HttpMethod(method) for method in methods],
                integration=integration,
            )
        suppress(self.http_api, "AwsSolutions-APIG4")
        self.url: str = self.stage.url
