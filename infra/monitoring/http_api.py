"""Monitor of the HTTP API: what visitors get (requests, errors, latency), as API Gateway measures it."""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch

from functions.common import catalog
from infra.config import AlarmThresholds
from infra.monitoring.alarm_spec import ABOVE, NO_EVIDENCE, AlarmSpec
from infra.monitoring.metrics import P99, PERIOD, SUM, Annotations, graph

API_REQUEST_SPIKE_ALARM: Final = catalog.API_REQUEST_SPIKE_ALARM  # the notifier's guard acts on it
API_5XX_ALARM: Final = "api-5xx-errors"
API_P99_LATENCY_ALARM: Final = "api-p99-latency"


class HttpApiMonitor:
    def __init__(self, http_api: apigw.IHttpApi, thresholds: AlarmThresholds) -> None:
        self.requests = http_api.metric_count(period=PERIOD, statistic=SUM)
        self.client_errors = http_api.metric_client_error(period=PERIOD, statistic=SUM)
        self.server_errors = http_api.metric_server_error(period=PERIOD, statistic=SUM)
        self._http_api = http_api
        self.alarm_specs = [
            AlarmSpec(
                API_REQUEST_SPIKE_ALARM,
                "Traffic spike",
                "requests",
                self.requests,
                thresholds.api_requests_per_5_minutes,
                "Usage: the API answers far more requests than this site normally gets (spike, bot or abuse; each "
                "request costs money). Check the dashboard's request graph and the API access logs for the source.",
                comparison=ABOVE,
            ),
            AlarmSpec(
                API_5XX_ALARM,
                "Server errors",
                "5xx answers",
                self.server_errors,
                thresholds.api_5xx_per_5_minutes,
                "Health: visitors get server errors from the API. Check the counter's errors and logs and the "
                "visits table on the dashboard.",
            ),
            AlarmSpec(
                API_P99_LATENCY_ALARM,
                "Slow API",
                "ms",
                self.latency(P99),
                thresholds.api_p99_latency_ms,
                "Health: the slowest 1% of API requests are slow. Check the counter's duration and the visits "
                "table latency on the dashboard.",
                comparison=ABOVE,
                missing_data=NO_EVIDENCE,
            ),
        ]

    def latency(self, statistic: str) -> cloudwatch.Metric:
        return self._http_api.metric_latency(period=PERIOD, statistic=statistic)

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        return [
            graph(
                "API requests and errors",
                [
                    self.requests.with_(label="Requests"),
                    self.client_errors.with_(label="4xx"),
                    self.server_errors.with_(label="5xx"),
                ],
                annotations(API_REQUEST_SPIKE_ALARM, API_5XX_ALARM),
                width=12,
            ),
            graph(
                "API latency",
                [self.latency(p).with_(label=p) for p in ("p50", "p90", "p99")],
                annotations(API_P99_LATENCY_ALARM),
                width=12,
            ),
        ]
