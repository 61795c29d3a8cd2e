"""Monitor of the site from outside: the availability probe's failed checks (functions/probe). The alarm reads the
total on the fixed {service} dimension; the failures by check are on the dashboard only."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from functions.common import catalog
from infra.monitoring.alarm_spec import FIRST_FAILURE, AlarmSpec
from infra.monitoring.metrics import MAXIMUM, Annotations, graph

SITE_UNAVAILABLE_ALARM: Final = catalog.SITE_UNAVAILABLE_ALARM
CONSECUTIVE_FAILED_PROBES: Final = 2


class ProbeMonitor:
    def __init__(self, *, interval_minutes: int) -> None:
        # One period per probe interval, so a period holds one failed probe's datapoint or none (a passing probe
        # publishes nothing): 2 of 2 fires on the second failed probe in a row and the next pass resolves it; the
        # trade-offs of that choice are in docs/alerting.md#availability-probe.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
        self.period = Duration.minutes(interval_minutes)
        self.failures = self._metric()
        self.alarm_specs = [
            AlarmSpec(
                SITE_UNAVAILABLE_ALARM,
                "Site unavailable",
                "failed checks",
                self.failures,
                FIRST_FAILURE,
                f"Availability: the site failed the outside-in probe {CONSECUTIVE_FAILED_PROBES} times in a row, "
                "so visitors may not see it or its counter. The email names the failing check and the answer seen; "
                "open the site yourself, then check the last deploy (Amplify/CloudFront), headers and CORS.",
                evaluation_periods=CONSECUTIVE_FAILED_PROBES,
                datapoints_to_alarm=CONSECUTIVE_FAILED_PROBES,
            )
        ]

    def _metric(self, check: str | None = None) -> cloudwatch.Metric:
        dimensions = {catalog.SERVICE_DIMENSION: catalog.PROBE_SERVICE}
        if check is not None:
            dimensions[catalog.PROBE_CHECK_DIMENSION] = check
        return cloudwatch.Metric(
            namespace=catalog.METRICS_NAMESPACE,
            metric_name=catalog.PROBE_FAILURES_METRIC,
            dimensions_map=dimensions,
            statistic=MAXIMUM,
            period=self.period,
        )

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        by_check = [self._metric(check).with_(label=check.replace("_", " ")) for check in catalog.PROBE_CHECKS]
        return [
            graph(
                "Outside-in probe: failed checks",
                [self.failures.with_(label="Failed checks (total)"), *by_check],
                annotations(SITE_UNAVAILABLE_ALARM),
                width=12,
            )
        ]
