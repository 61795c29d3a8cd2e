"""Lambda entry point of the visit counter: GET /visits reads the figures, POST /visits records a visit.

The handler only routes, checks the request and shapes the answer. No Powertools resolver and no Tracer (cold-start
imports), and a 2xx answer writes no log line: docs/performance.md.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.session import get_session

from functions.common import catalog
from functions.common.emf import count_by
from functions.common.env import required_env
from functions.counter import IMPORT_STARTED
from functions.counter.crawlers import ignore_reason
from functions.counter.http import (
    RETRY_AFTER_SECONDS,
    ApiError,
    error_response,
    json_response,
    visit_request_from_body,
)
from functions.counter.sources import source_of
from functions.counter.visits import Outcome, Totals, Visit, VisitCounter, VisitStoreUnavailableError

IMPORT_MS: Final = round((time.perf_counter() - IMPORT_STARTED) * 1000, 1)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.client import DynamoDBClient

# NOTE: GET /visits records no metric by design; Powertools would warn about the empty flush on every
# container. Only that one message is silenced.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=catalog.COUNTER_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.COUNTER_SERVICE)

UNAVAILABLE_MESSAGES: Final = {
    False: "the visit figures are unavailable right now; try again later",
    True: "the visit store is unavailable right now; the visit may not have been counted, and retrying it "
    "(with the same visit_id) is safe: it is never counted twice",
}

# Fail fast: a stalled DynamoDB ends as a clean 503 inside the function's timeout, not a Lambda timeout.
# NOTE: the SDK never retries: a write whose answer was lost may have been applied (docs/performance.md).
_DYNAMODB_CONFIG: Final = Config(connect_timeout=0.5, read_timeout=1.0, retries={"total_max_attempts": 1})


@cache
def visit_counter() -> VisitCounter:
    """One client per container, created on first use so tests and the local runtime choose the endpoint."""
    table_name = required_env(catalog.TABLE_NAME_ENV)
    max_views = _whole_number_env(catalog.MAX_VIEWS_ENV)
    max_network_views = _whole_number_env(catalog.MAX_VIEWS_PER_NETWORK_ENV)
    # NOTE: botocore's session rather than boto3's: `import boto3` also loads s3transfer, ~20 ms of a cold start
    # spent on S3 code this function never runs (docs/performance.md).
    return VisitCounter(
        client=cast("DynamoDBClient", get_session().create_client("dynamodb", config=_DYNAMODB_CONFIG)),
        table_name=table_name,
        max_views_per_day=max_views,
        max_views_per_network_per_day=max_network_views,
    )


def _whole_number_env(name: str) -> int:
    value = required_env(name)
    if not value.isdigit() or int(value) < 1:
        raise RuntimeError(f"environment variable {name} is not a whole number ≥ 1: {value!r}")
    return int(value)


@cache
def site_origins() -> frozenset[str]:
    """The site's origins, the list the API's CORS allows (infra/api.py sets both from one list)."""
    return frozenset(origin for origin in required_env(catalog.ALLOWED_ORIGINS_ENV).split(",") if origin)


@cache
def site_hosts() -> frozenset[str]:
    """The hosts of the site's origins: a referrer from one of them is the site itself (a direct visit)."""
    return frozenset(filter(None, (urlsplit(origin).hostname for origin in site_origins())))


def _figures(totals: Totals) -> dict[str, Any]:
    return {
        "count": totals.count,
        "unique_visitors": totals.unique_visitors,
        "today": {"count": totals.today_count, "unique_visitors": totals.today_unique_visitors},
    }


def _get_visits(event: dict[str, Any], counter: VisitCounter) -> dict[str, Any]:
    return _figures(counter.totals())


def _post_visit(event: dict[str, Any], counter: VisitCounter) -> dict[str, Any]:
    """Counts the visit unless it is not a visitor's (crawlers.py), from another site, a retry of a counted one,
    or over a daily limit; every case answers the figures and whether, or why not, it counted. The IP and
    User-Agent go into the day's hashes only (docs/privacy.md); the source's name and the link's code go into the
    visit's EMF document as plain properties, which the dashboard counts.
    NOTE: EMF's root node may hold members that are not metrics; CloudWatch extracts no metric from them.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html"""
    request = visit_request_from_body(event)
    http = event["requestContext"]["http"]
    user_agent = http.get("userAgent") or ""
    # NOTE: CORS only keeps a foreign page from reading the answer; the browser still sends the POST, with the
    # page's Origin. A request without Origin (same-origin GET-like fetches, non-browser clients) is judged by
    # its User-Agent alone. https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin
    origin = (event.get("headers") or {}).get("origin")
    reason = catalog.IGNORED_FOREIGN_ORIGIN if origin is not None and origin not in site_origins() else None
    reason = reason or ignore_reason(user_agent)
    if reason is not None:
        _count_ignored(reason)
        return _not_counted(counter.totals(), reason)
    # NOTE: without a visit id (not the site's own script) the request id stands in; a retry then gets a new one
    # and may count again, up to the visitor's daily limit.
    visit = Visit(
        request.visit_id or event["requestContext"]["requestId"],
        http["sourceIp"],
        user_agent,
        source=None if request.referrer is None else source_of(request.referrer, site_hosts()),
        link=request.ref,
        download=request.download,
    )
    result = counter.record_visit(visit)
    if result.link_lost:
        logger.warning("application link view not recorded: the visit store is unavailable")
    if result.outcome is Outcome.ALREADY_COUNTED:
        return _not_counted(result.totals, catalog.ALREADY_COUNTED_REASON)
    if result.outcome in _LIMITS:
        _count_ignored(_LIMITS[result.outcome])
        return _not_counted(result.totals, _LIMITS[result.outcome])
    if visit.download:
        # No `Downloads` metric (a custom metric is $0.30 a month, docs/cost.md, for a figure no alarm reads): one
        # lean JSON line the dashboard counts, without the Logger's ~400 B of context, its time in the Logger's format.
        stamp = datetime.now(UTC).strftime(catalog.LOG_TIMESTAMP_FORMAT)
        line = {"message": catalog.DOWNLOAD_LOG_MESSAGE, "timestamp": stamp, catalog.DOWNLOADS_LOG_KEY: 1}
        print(json.dumps(line), flush=True)
        return {**_figures(result.totals), "counted": True}
    metrics.add_metric(name=catalog.VISITS_METRIC, unit=MetricUnit.Count, value=1)
    if result.outcome is Outcome.FIRST_VIEW:
        metrics.add_metric(name=catalog.UNIQUE_VISITORS_METRIC, unit=MetricUnit.Count, value=1)
        if visit.source is not None:
            metrics.add_metadata(key=catalog.SOURCE_LOG_KEY, value=visit.source)
    if result.link is not None:
        metrics.add_metadata(key=catalog.REF_LOG_KEY, value=result.link)
    return {**_figures(result.totals), "counted": True}


_LIMITS: Final = {
    Outcome.OVER_DAILY_LIMIT: catalog.IGNORED_OVER_DAILY_LIMIT,
    Outcome.OVER_NETWORK_LIMIT: catalog.IGNORED_OVER_NETWORK_LIMIT,
}


def _not_counted(totals: Totals, reason: str) -> dict[str, Any]:
    return {**_figures(totals), "counted": False, "reason": reason}


def _count_ignored(reason: str) -> None:
    """IgnoredVisits on the fixed {service} dimension like every other metric, and once more by reason."""
    metrics.add_metric(name=catalog.IGNORED_VISITS_METRIC, unit=MetricUnit.Count, value=1)
    count_by(
        metric=catalog.IGNORED_VISITS_METRIC,
        service=catalog.COUNTER_SERVICE,
        dimension=catalog.IGNORE_REASON_DIMENSION,
        value=reason,
    )


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
                UNAVAILABLE_MESSAGES[method == "POST"],
                {"retry-after": str(RETRY_AFTER_SECONDS)},
            )
        )
    status = response["statusCode"]
    if status >= 300:
        # NOTE: the one line of a request not answered 2xx; Powertools adds the request id and cold start flag.
        logger.info("request answered with an error", extra={"method": method, "path": path, "status": status})
    return response


@cache
def _log_cold_start() -> None:
    """The container's one cold-start line, with the import time the dashboard reads (cached: written once)."""
    logger.info(catalog.COLD_START_LOG_MESSAGE, extra={catalog.IMPORT_MS_LOG_KEY: IMPORT_MS})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _log_cold_start()
    return handle(event, visit_counter)
