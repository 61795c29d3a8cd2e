"""Lambda entry point of the availability probe: EventBridge Scheduler invokes it every probe_interval_minutes;
it checks the public site from outside (checks.py), logs and counts each failed check.

Metrics (catalog): ProbeFailures on {service} when a run fails (the failed checks' number: the total the
site-unavailable alarm reads) and 1 on {service, check} per failed check. A healthy run emits no metric: a custom
metric is billed for each hour it is published, so one written every run would cost $0.30 a month for zeros
(docs/cost.md), and the alarm reads no data as healthy. A failed check is a WARNING log line
naming the check and what it saw; the notifier quotes the latest one in the site-unavailable email.
NOTE: the requests are the probe's own; no visitor's IP or User-Agent is ever in its logs.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.common import catalog
from functions.common.emf import count_by
from functions.probe.checks import CheckFailure, ProbeTarget, run_probe

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# NOTE: a healthy run records no metric by design; Powertools would warn about the empty flush on every run.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=catalog.PROBE_SERVICE)
metrics = Metrics(namespace=catalog.METRICS_NAMESPACE, service=catalog.PROBE_SERVICE)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failures = run_probe(probe_target())
    record(failures)
    return {"failed_checks": [failure.check for failure in failures]}


def probe_target() -> ProbeTarget:
    return ProbeTarget(
        site_url=_required_env(catalog.PROBE_SITE_URL_ENV),
        site_origin=_required_env(catalog.PROBE_SITE_ORIGIN_ENV),
        api_url=_required_env(catalog.PROBE_API_URL_ENV),
    )


def record(failures: list[CheckFailure]) -> None:
    """On failure, the total on {service}, and one metric and one log line per failed check; else one log line."""
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


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (infra/probe.py sets it)")
    return value
