"""Lambda entry point of the availability probe (docs/alerting.md, "Availability probe"): runs the checks
(checks.py) and records a failed run as ProbeFailures on {service} and on {service, check}, with a WARNING line per
failed check; a healthy run emits no metric, a throttled check an INFO line of its own (PROBE_THROTTLED_LOG_KEY).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.common import catalog
from functions.common.emf import count_by
from functions.common.env import required_env
from functions.common.http import Answer
from functions.probe.checks import CheckFailure, ProbeResult, ProbeTarget, ThrottledCheck, request, run_probe

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# NOTE: a healthy run records no metric by design; Powertools would warn about the empty flush on every run.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=catalog.PROBE_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.PROBE_SERVICE)


SECONDS_KEPT_TO_REPORT: Final = 3
"""Of the Lambda's timeout, kept to publish a failure rather than be stopped mid-check."""


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = context.get_remaining_time_in_millis() / 1000 - SECONDS_KEPT_TO_REPORT
    result = probe_within(probe_target(), deadline)
    record(result.failures, result.throttled)
    return {
        "failed_checks": [failure.check for failure in result.failures],
        "throttled_checks": [throttled.check for throttled in result.throttled],
    }


def probe_within(target: ProbeTarget, seconds: float) -> ProbeResult:
    """The checks' failures; a check that has no answer by the deadline, or a probe that breaks, is a failure too.
    The checks run in a thread the handler stops waiting for: a run stopped at its Lambda timeout (a site that
    hangs; urllib's timeout does not cover a DNS lookup) would report nothing, which the alarm reads as healthy."""
    in_flight: list[tuple[str, str]] = []
    result: list[ProbeResult] = []

    def send(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
        in_flight.append((method, url))
        try:
            return request(url, method=method, headers=headers)
        finally:
            in_flight.remove((method, url))

    def run() -> None:
        try:
            result.append(run_probe(target, send))
        except Exception as error:  # a bug of the probe's own must still be a failed probe, not a silent one
            broke = CheckFailure(catalog.PROBE_CHECK_SITE_PAGE, f"the probe broke: {type(error).__name__}")
            result.append(ProbeResult([broke]))

    worker = threading.Thread(target=run, name="probe-checks", daemon=True)
    worker.start()
    worker.join(max(seconds, 0))
    if result:
        return result[0]
    method, url = in_flight[-1] if in_flight else ("GET", target.site_url)
    return ProbeResult(
        [CheckFailure(_check_of(method, url, target), f"no answer to {method} {url} within {seconds:.0f} s")]
    )


def _check_of(method: str, url: str, target: ProbeTarget) -> str:
    """The check a hanging request belongs to (checks.py: the page, then the preflight, then GET /visits)."""
    if url != target.visits_url:
        return catalog.PROBE_CHECK_SITE_PAGE
    return catalog.PROBE_CHECK_CORS_PREFLIGHT if method == "OPTIONS" else catalog.PROBE_CHECK_VISITS_READ


def probe_target() -> ProbeTarget:
    return ProbeTarget(
        site_url=required_env(catalog.PROBE_SITE_URL_ENV),
        site_origin=required_env(catalog.PROBE_SITE_ORIGIN_ENV),
        api_url=required_env(catalog.PROBE_API_URL_ENV),
    )


def record(failures: list[CheckFailure], throttled: Sequence[ThrottledCheck] = ()) -> None:
    """On failure, the total on {service}, and one metric and one log line per failed check; else one log line."""
    for check in throttled:
        logger.info(
            "probe check throttled by API Gateway, not a failure",
            extra={catalog.PROBE_THROTTLED_LOG_KEY: check.check, catalog.PROBE_RESPONSE_LOG_KEY: check.response_seen},
        )
    if not failures:
        logger.info("probe passed", extra={"checks": list(catalog.PROBE_CHECKS)})
        return
    metrics.add_metric(name=catalog.PROBE_FAILURES_METRIC, unit=MetricUnit.Count, value=len(failures))
    for failure in failures:
        logger.warning(
            "probe check failed",
            extra={catalog.PROBE_CHECK_LOG_KEY: failure.check, catalog.PROBE_RESPONSE_LOG_KEY: failure.response_seen},
        )
        count_by(
            metric=catalog.PROBE_FAILURES_METRIC,
            service=catalog.PROBE_SERVICE,
            dimension=catalog.PROBE_CHECK_DIMENSION,
            value=failure.check,
        )
