"""Monitor of the site from outside: the availability probe's failed checks (functions/probe).

The one alarm, site-unavailable, reads the probe's total on the fixed {service} dimension; the failures by check
(one fixed `check` dimension each, catalog.PROBE_CHECKS) are shown on the dashboard only, so they cost an alarm
nothing and a metric only while that check fails.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from functions.common import catalog
from infra.monitoring.alarm_spec import AT_LEAST, FIRST_FAILURE, QUIET_IS_FINE, AlarmSpec
from infra.monitoring.metrics import MAXIMUM
from infra.monitoring.widgets import Annotations, graph

SITE_UNAVAILABLE_ALARM: Final = catalog.SITE_UNAVAILABLE_ALARM
CONSECUTIVE_FAILED_PROBES: Final = 2


class ProbeMonitor:
    def __init__(self, *, interval_minutes: int) -> None:
        # NOTE: the alarm math. The probe runs once per interval and emits ProbeFailures only when a run fails (a
        # custom metric is billed for each hour it is published: one written every run would cost $0.30 a month
        # for zeros), so a period of exactly one interval holds one failed probe's datapoint or none; Maximum ≥ 1
        # means "that probe failed a check". 2 of 2 periods: it fires on the second consecutive failed probe.
        # Missing data is not breaching: a passing probe publishes nothing, so on the first one after a failure
        # the last 2 periods are no longer both breaching and it resolves by itself (OK also notifies).
        # The cost of that choice: a period in which Scheduler's delivery jitter put no probe breaks a streak, so
        # the alarm may come one interval later; and a probe that cannot run at all (never invoked) reads as a
        # pass. A probe that runs but hangs or breaks still reports: functions/probe/app.py gives its checks a
        # deadline inside the Lambda timeout and publishes a check with no answer by then as failed.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
        # A CloudWatch period of whole minutes is valid for any interval config allows (1-60 minutes).
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
        self.period = Duration.minutes(interval_minutes)
        self.failures = self._metric()
        self.alarm_specs = [
            AlarmSpec(
                SITE_UNAVAILABLE_ALARM,
                "Site unavailable",
                "failed checks",
                self.failures,
                FIRST_FAILURE,
                AT_LEAST,
                QUIET_IS_FINE,
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
