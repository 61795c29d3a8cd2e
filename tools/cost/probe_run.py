"""What one healthy run of the availability probe costs besides its own invocation, measured on the real probe code:
which requests it sends (the site's page, and the API: each an HTTP API request, each GET also a counter
invocation), and what it writes to its log group when every check passes (its log line and its EMF total).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tools.cost.measure import Metric, emf_metrics

_SITE = "https://site.cost.invalid"
_API = "https://api.cost.invalid"


@dataclass(frozen=True)
class ProbeRun:
    api_requests: int
    api_gets: int
    """GETs reach the counter; the CORS preflight (OPTIONS) is answered by API Gateway itself."""
    site_requests: int
    log_bytes: int
    emf_bytes: int
    metrics: frozenset[Metric]
    """The custom metrics a healthy run publishes: each billed every month the probe runs."""


def probe_run(memory_mb: int, timeout_seconds: float) -> ProbeRun:
    from functions.common.http import Answer
    from functions.probe import app
    from functions.probe.checks import ProbeTarget, run_probe
    from tools.local.lambda_runtime.events import LocalLambdaContext
    from tools.local.lambda_runtime.per_thread import captured_stdout, logs_to

    sent: list[tuple[str, str]] = []

    def send(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
        sent.append((method, url))
        return Answer(url=url, status=200, headers={}, body="")

    run_probe(ProbeTarget(site_url=f"{_SITE}/", site_origin=_SITE, api_url=_API), send=send)

    # A healthy run's output: the handler's own decorators around record() of no failures.
    @app.logger.inject_lambda_context
    @app.metrics.log_metrics
    def healthy(event: dict[str, Any], context: Any) -> None:
        app.record([])

    log = io.StringIO()
    with captured_stdout() as printed, logs_to(app, log):
        healthy({}, LocalLambdaContext("AvailabilityProbe", memory_mb, timeout_seconds))
    emf = "".join(line + "\n" for line in printed.getvalue().splitlines() if '"_aws"' in line)
    api = [(method, url) for method, url in sent if urlsplit(url).hostname == urlsplit(_API).hostname]
    return ProbeRun(
        api_requests=len(api),
        api_gets=sum(method == "GET" for method, _ in api),
        site_requests=len(sent) - len(api),
        log_bytes=len(log.getvalue().encode()),
        emf_bytes=len(emf.encode()),
        metrics=emf_metrics(emf),
    )
