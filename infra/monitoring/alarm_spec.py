"""An alarm as a monitor declares it: what it watches, when it fires, what the owner should do, where it goes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch

from infra.config_values import Threshold

# 2 of 3: a real spike or outage alarms on its second bad period, a single bad one (one cold start) never, and one
# quiet period in an ongoing incident does not hide it.
EVALUATION_PERIODS: Final = 3
DATAPOINTS_TO_ALARM: Final = 2


ABOVE: Final = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST: Final = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
QUIET_IS_FINE: Final = cloudwatch.TreatMissingData.NOT_BREACHING
"""A quiet site sends no requests: no data is good news for anything counted..."""
NO_EVIDENCE: Final = cloudwatch.TreatMissingData.IGNORE
"""...but says nothing about latency: keep the state until requests show how fast they are."""


FIRST_FAILURE: Final = Threshold(1, "1 (fixed)")
"""Any failure on the alerting path may be an alert the owner never got: not tunable."""


class AlertRoute(Enum):
    """Where an alarm's notifications go (alarms.AlarmSet maps each route to its topic)."""

    OWNER = "owner"
    """The alarm topic → the notifier → a rich email with links."""
    ALERTING_HEALTH = "alerting-health"
    """The alerting-health topic → plain SNS email: for failures of the notifier path itself."""


@dataclass(frozen=True)
class AlarmSpec:
    alarm_id: str
    """Suffix of the deployed name (catalog.alarm_name) and the anchor of its docs/runbook.md section."""
    title: str
    """What happened, in a few words (`Traffic spike`): the start of every channel's subject line."""
    unit: str
    """What the alarm's figure counts or measures (`152 requests in 5 min (limit 30)`)."""
    metric: cloudwatch.IMetric
    threshold: Threshold
    what_to_do: str
    """What it means and what to do first; the runbook section has the detail."""
    comparison: cloudwatch.ComparisonOperator = AT_LEAST
    missing_data: cloudwatch.TreatMissingData = QUIET_IS_FINE
    route: AlertRoute = AlertRoute.OWNER
    evaluation_periods: int = EVALUATION_PERIODS
    datapoints_to_alarm: int = DATAPOINTS_TO_ALARM


def alerting_health_spec(
    alarm_id: str, title: str, unit: str, metric: cloudwatch.IMetric, what_to_do: str
) -> AlarmSpec:
    """An alarm on the alerting path itself: the first failure, in one period, bypassing the notifier."""
    return AlarmSpec(
        alarm_id,
        title,
        unit,
        metric,
        FIRST_FAILURE,
        what_to_do,
        route=AlertRoute.ALERTING_HEALTH,
        evaluation_periods=1,
        datapoints_to_alarm=1,
    )
