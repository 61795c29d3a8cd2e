"""Monitor of the alerting path itself: the notifier, its dead-letter queue and SNS's deliveries to it. Its alarms go
the alerting-health route (plain SNS email), since the notifier may be what is broken."""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from infra.monitoring.alarm_spec import alerting_health_spec
from infra.monitoring.metrics import MAXIMUM, PERIOD, SUM, Annotations, graph

NOTIFIER_ERRORS_ALARM: Final = "notifier-errors"
NOTIFIER_DLQ_ALARM: Final = "notifier-dead-letters"
ALARM_TOPIC_DELIVERY_ALARM: Final = "alarm-topic-delivery-failures"


class NotifierMonitor:
    def __init__(self, function: lambda_.IFunction, dead_letter_queue: sqs.IQueue, alarm_topic: sns.ITopic) -> None:
        self.invocations = function.metric_invocations(period=PERIOD, statistic=SUM)
        self.errors = function.metric_errors(period=PERIOD, statistic=SUM)
        # NOTE: SQS stops publishing metrics for a queue idle for 6 hours; one holding messages is never idle.
        self.dead_letters = dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic=MAXIMUM
        )
        self.failed_deliveries = alarm_topic.metric_number_of_notifications_failed(period=PERIOD, statistic=SUM)
        self.alarm_specs = [
            alerting_health_spec(
                NOTIFIER_ERRORS_ALARM,
                "Notifier failing",
                "errors",
                self.errors,
                "Alerting: the alarm notifier failed, so an alarm email may be late or missing. Read its ERROR "
                "logs (an unverified SES sender or the SES sandbox is the usual cause) and check the other alarms "
                "yourself.",
            ),
            alerting_health_spec(
                NOTIFIER_DLQ_ALARM,
                "Alerts dead-lettered",
                "messages",
                self.dead_letters,
                "Alerting: an alarm notification could not be emailed even after retries and is parked in the "
                "notifier's dead-letter queue. Read it there (it is an alarm you have not seen), fix the cause, "
                "then replay or delete it.",
            ),
            alerting_health_spec(
                ALARM_TOPIC_DELIVERY_ALARM,
                "Alerts not reaching the notifier",
                "failed deliveries",
                self.failed_deliveries,
                "Alerting: SNS could not deliver alarm notifications to the notifier. Check the notifier's "
                "throttles and its dead-letter queue, and the other alarms yourself.",
            ),
        ]

    def widgets(self, annotations: Annotations) -> list[cloudwatch.IWidget]:
        return [
            graph(
                "Notifier health",
                [
                    self.invocations.with_(label="Invocations"),
                    self.errors.with_(label="Errors"),
                    self.dead_letters.with_(label="Dead letters"),
                ],
                annotations(NOTIFIER_ERRORS_ALARM, NOTIFIER_DLQ_ALARM),
                width=8,
            )
        ]
