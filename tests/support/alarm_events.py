"""Real-shaped CloudWatch alarm notifications and the SNS events that carry them to a subscribed Lambda.

Shapes and texts follow what CloudWatch and SNS actually send:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-sns-schema and
https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html (statistics in capitals, dimension keys in lower case,
`+0000` timestamps, datapoints quoted in the reason most recent first, Subject cut at 100 characters).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from tools.local.lambda_runtime import events as lambda_events

ACCOUNT_ID: Final = "123456789012"
REGION: Final = "eu-west-1"
REGION_NAME: Final = "EU (Ireland)"
ALARM_TOPIC_ARN: Final = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:ResumeBackend-AlertingAlarmTopic-1A2B3C4D5E6F"
CHANGED_AT: Final = datetime(2024, 5, 1, 12, 5, 0, 123000, tzinfo=UTC)

# SNS signs every message (base64 of an RSA signature); the notifier does not verify it, Lambda's trigger did.
_SIGNATURE: Final = "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOx=="

_PHRASES: Final = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


def alarm_arn(name: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}"


def threshold_reason(
    new_state: str,
    values: Sequence[float],
    *,
    threshold: float,
    comparison: str,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    at: datetime = CHANGED_AT,
) -> str:
    """NewStateReason as CloudWatch writes it for a threshold alarm."""
    if new_state == "INSUFFICIENT_DATA":
        return f"Insufficient Data: {evaluation_periods} datapoints were unknown."
    quoted = ", ".join(
        f"{float(value)!r} ({(at - timedelta(minutes=5 * (i + 1))).strftime('%d/%m/%y %H:%M:%S')})"
        for i, value in enumerate(values)
    )
    phrase = _PHRASES[comparison]
    if new_state == "ALARM":
        return (
            f"Threshold Crossed: {len(values)} out of the last {evaluation_periods} datapoints [{quoted}] were "
            f"{phrase} the threshold ({float(threshold)!r}) (minimum {datapoints_to_alarm} datapoints for "
            "OK -> ALARM transition)."
        )
    return f"Threshold Crossed: {len(values)} datapoints [{quoted}] were not {phrase} the threshold ({threshold!r})."


def _envelope(
    name: str,
    new_state: str,
    old_state: str,
    reason: str,
    description: str | None,
    topic_arn: str,
    changed_at: datetime = CHANGED_AT,
) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmDescription": description,
        "AWSAccountId": ACCOUNT_ID,
        "AlarmConfigurationUpdatedTimestamp": "2024-04-30T09:00:00.000+0000",
        "NewStateValue": new_state,
        "NewStateReason": reason,
        "StateChangeTime": changed_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
        "Region": REGION_NAME,
        "AlarmArn": alarm_arn(name),
        "OldStateValue": old_state,
        "OKActions": [topic_arn],
        "AlarmActions": [topic_arn],
        "InsufficientDataActions": [],
    }


def metric_alarm(
    name: str,
    *,
    new_state: str = "ALARM",
    old_state: str = "OK",
    namespace: str = "AWS/ApiGateway",
    metric_name: str = "5xx",
    dimensions: Mapping[str, str] | None = None,
    statistic: str = "Sum",
    threshold: float = 5.0,
    comparison: str = "GreaterThanOrEqualToThreshold",
    period_seconds: int = 300,
    evaluation_periods: int = 3,
    datapoints_to_alarm: int = 2,
    treat_missing_data: str = "notBreaching",
    values: Sequence[float] = (7.0, 6.0),
    reason: str | None = None,
    description: str | None = "What to do. Runbook: https://github.com/o/r/blob/main/docs/runbook.md#x",
    topic_arn: str = ALARM_TOPIC_ARN,
    changed_at: datetime = CHANGED_AT,
) -> dict[str, Any]:
    """A single-metric alarm's notification; `statistic` like Sum or p99, as in the alarm's definition."""
    statistic_fields = (
        {"StatisticType": "ExtendedStatistic", "ExtendedStatistic": statistic}
        if statistic.startswith("p")
        else {"StatisticType": "Statistic", "Statistic": statistic.upper()}
    )
    message = _envelope(
        name,
        new_state,
        old_state,
        reason
        or threshold_reason(
            new_state,
            values,
            threshold=threshold,
            comparison=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
        ),
        description,
        topic_arn,
        changed_at,
    )
    message["Trigger"] = {
        "MetricName": metric_name,
        "Namespace": namespace,
        **statistic_fields,
        "Unit": None,
        "Dimensions": [{"value": value, "name": key} for key, value in (dimensions or {"ApiId": "a1b2c3d4e5"}).items()],
        "Period": period_seconds,
        "EvaluationPeriods": evaluation_periods,
        "DatapointsToAlarm": datapoints_to_alarm,
        "ComparisonOperator": comparison,
        "Threshold": threshold,
        "TreatMissingData": treat_missing_data,
        "EvaluateLowSampleCountPercentile": "",
    }
    return message


def sns_event(
    message: Mapping[str, Any] | str,
    *,
    message_id: str | None = None,
    subject: str | None = None,
    topic_arn: str = ALARM_TOPIC_ARN,
) -> dict[str, Any]:
    """The event SNS invokes a subscribed Lambda with; a dict message is sent as CloudWatch does, as JSON text."""
    if isinstance(message, Mapping):
        body = json.dumps(message, separators=(",", ":"))
        if subject is None:
            subject = f'{message["NewStateValue"]}: "{message["AlarmName"]}" in {REGION_NAME}'[:100]
    else:
        body = message
    # The event's shape lives once, in the local runtime's builder; only the recorded signature is added here.
    event = lambda_events.sns_event(topic_arn, body, subject=subject, message_id=message_id)
    notification = event["Records"][0]["Sns"]
    notification["Timestamp"] = (CHANGED_AT + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    notification["Signature"] = _SIGNATURE
    return event
