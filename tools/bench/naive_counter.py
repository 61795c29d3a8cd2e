"""The baseline for `make bench`: the counter written the common way, everything imported eagerly, as most
tutorials ship it."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import catalog

logger = Logger(service=catalog.COUNTER_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.COUNTER_SERVICE)
tracer = Tracer(service=catalog.COUNTER_SERVICE)
app = APIGatewayHttpResolver()
table = boto3.resource("dynamodb").Table(os.environ[catalog.TABLE_NAME_ENV])


@app.post("/visits")
@tracer.capture_method
def post_visit() -> dict[str, Any]:
    response = table.update_item(
        Key={catalog.VISITS_PARTITION_KEY: catalog.VISITS_ITEM_KEY},
        UpdateExpression="ADD #count :one",
        ExpressionAttributeNames={"#count": catalog.VISITS_COUNT_ATTRIBUTE},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    metrics.add_metric(name=catalog.VISITS_METRIC, unit=MetricUnit.Count, value=1)
    return {"count": int(str(response["Attributes"][catalog.VISITS_COUNT_ATTRIBUTE]))}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
