"""Lambda entry point of the visit counter: GET /visits reads the count, POST /visits adds one.

The handler only routes, checks the request and shapes the answer; counting lives in visits.py.
NOTE: no Powertools event-handler resolver and no Tracer here. Most visitors of a low-traffic site hit a cold
start, and those two add ~100 ms of imports for two routes (measured in docs/performance.md); X-Ray still
traces every invocation because active tracing is on for the function.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Final, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.session import get_session

from functions.common import catalog
from functions.counter.http import RETRY_AFTER_SECONDS, ApiError, check_visit_body, error_response, json_response
from functions.counter.visits import VisitCounter, VisitStoreUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.client import DynamoDBClient

# NOTE: GET /visits records no metric by design; Powertools would warn about the empty flush on every
# container. Only that one message is silenced.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=catalog.COUNTER_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.COUNTER_SERVICE)

# Fail fast: the API waits up to 30 s, a visitor much less. Two attempts of ~1.5 s stay inside the
# function's timeout (infra/config.py), so a stalled DynamoDB ends as a clean 503, not a Lambda timeout.
_DYNAMODB_CONFIG: Final = Config(
    connect_timeout=0.5,
    read_timeout=1.0,
    retries={"total_max_attempts": 2, "mode": "standard"},
)


@cache
def visit_counter() -> VisitCounter:
    """One client per container, created on first use so tests and the local runtime choose the endpoint."""
    table_name = os.environ.get(catalog.TABLE_NAME_ENV)
    if not table_name:
        raise RuntimeError(f"environment variable {catalog.TABLE_NAME_ENV} is not set")
    # NOTE: botocore's session rather than boto3's: `import boto3` also loads s3transfer, ~20 ms of a cold start
    # spent on S3 code this function never runs (docs/performance.md).
    client = cast("DynamoDBClient", get_session().create_client("dynamodb", config=_DYNAMODB_CONFIG))
    return VisitCounter(client=client, table_name=table_name)


def _get_visits(event: dict[str, Any], counter: VisitCounter) -> dict[str, Any]:
    return {"count": counter.current_count()}


def _post_visit(event: dict[str, Any], counter: VisitCounter) -> dict[str, Any]:
    check_visit_body(event)
    count = counter.record_visit()
    metrics.add_metric(name=catalog.VISITS_METRIC, unit=MetricUnit.Count, value=1)
    return {"count": count}


_Route = Callable[[dict[str, Any], VisitCounter], dict[str, Any]]
ROUTES: Final[dict[str, dict[str, _Route]]] = {catalog.VISITS_PATH: {"GET": _get_visits, "POST": _post_visit}}


def handle(event: dict[str, Any], counter_factory: Callable[[], VisitCounter]) -> dict[str, Any]:
    """Answers one HTTP API (payload v2) request. Unexpected failures propagate, so Lambda counts them as
    errors and API Gateway answers its own JSON 500 without any detail."""
    method = event["requestContext"]["http"]["method"]
    path = event.get("rawPath", "")
    try:
        methods = ROUTES.get(path)
        if methods is None:
            raise ApiError(404, "not_found", f"no route for {path}")
        route = methods.get(method)
        if route is None:
            allowed = ", ".join(methods)
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}", {"allow": allowed})
        response = json_response(200, route(event, counter_factory()))
    except ApiError as error:
        response = error_response(error)
    except VisitStoreUnavailableError:
        logger.exception("visit store unavailable", extra={"method": method, "path": path})
        metrics.add_metric(name=catalog.STORE_FAILURES_METRIC, unit=MetricUnit.Count, value=1)
        response = error_response(
            ApiError(
                503,
                "store_unavailable",
                "the visit count is unavailable right now; nothing was stored",
                {"retry-after": str(RETRY_AFTER_SECONDS)},
            )
        )
    # NOTE: the one log line per request; Powertools adds the request id, cold start flag and function.
    logger.info("request served", extra={"method": method, "path": path, "status": response["statusCode"]})
    return response


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, visit_counter)
