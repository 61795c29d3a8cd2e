"""Alerting: CloudWatch alarms → SNS (KMS-encrypted) → notifier Lambda → SES email to the owner.

Two paths, so the alerting can report its own failure:
- alarm topic → notifier: every usage and health alarm; rich emails with links (functions/notifier);
- alerting-health topic → plain SNS email subscriptions: the notifier's errors, its dead-letter queue and failed
  deliveries on the alarm topic. None of these goes through the notifier, which may be what is broken.

Every alarm is named `<stack>-<alarm id>` (catalog.alarm_name), notifies on ALARM and on OK, and says in its
description what to do and where its runbook section is (docs/runbook.md#<alarm id>).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common import catalog
from infra.api import COUNTER_TABLE_ACTIONS
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction
from infra.nag import suppress

PERIOD: Final = Duration.minutes(5)
"""Every alarm's period: the thresholds in config are counts per 5 minutes (AlarmThresholds)."""

# A real spike or outage breaches period after period and alarms after the second; a single bad period (one
# cold start, one retried DynamoDB call) breaches once and does not. 2 of 3 rather than 2 of 2, so one quiet
# period in the middle of an ongoing incident does not hide it.
EVALUATION_PERIODS: Final = 3
DATAPOINTS_TO_ALARM: Final = 2

ANY_FAILURE: Final = 1
"""Threshold of the alerting-health alarms: any failure there may be an alert the owner never got, so these
alarm on the first occurrence, in a single period, and are not tunable."""

NOTIFIER_MEMORY_MB: Final = 256
NOTIFIER_TIMEOUT: Final = Duration.seconds(60)
"""SES and DynamoDB answer in well under a second, but the worst case of the clients' retries (app.py: SES 3 x
(2 + 5) s, two idempotency writes of 3 x (1 + 2) s, backoff) is about 40 s: a timeout after SES accepted the
email would leave the idempotency record in progress, and the retry would send the email twice."""
NOTIFIER_RETRY_ATTEMPTS: Final = 2
"""Lambda's own retries of a failed asynchronous invocation (the maximum), before the dead-letter queue."""
NOTIFIER_MAX_EVENT_AGE: Final = Duration.hours(6)
"""An alert older than this is stale; it goes to the dead-letter queue instead of being retried."""
DEAD_LETTER_RETENTION: Final = Duration.days(14)
"""SQS's maximum: two weeks to notice the dead-letter alarm and replay the message."""

# What Powertools idempotency (DynamoDBPersistenceLayer) calls on its table, and no more.
IDEMPOTENCY_TABLE_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
SES_SEND_ACTION: Final = "ses:SendEmail"
"""SES v2 SendEmail, raw content included, needs only this action."""

# What each alarm means and what to do first; the runbook section has the detail.
_WHAT_TO_DO: Final[Mapping[str, str]] = {
    catalog.API_REQUEST_SPIKE_ALARM: (
        "Usage: the API answers far more requests than this site normally gets (spike, bot or abuse; each request "
        "costs money). Check the dashboard's request graph and the API access logs for the source."
    ),
    catalog.COUNTER_INVOCATION_SPIKE_ALARM: (
        "Usage: the counter Lambda runs far more often than usual (cost guard). Compare with the API request "
        "graph; find the source in the API access logs."
    ),
    catalog.API_5XX_ALARM: (
        "Health: visitors get server errors from the API. Check the counter's errors and logs and the visits "
        "table on the dashboard."
    ),
    catalog.API_P99_LATENCY_ALARM: (
        "Health: the slowest 1% of API requests are slow. Check the counter's duration and the visits table "
        "latency on the dashboard."
    ),
    catalog.COUNTER_ERRORS_ALARM: (
        "Health: the counter Lambda fails (visitors get 500). Read its recent ERROR logs; a deploy is the usual "
        "cause, so roll back if one just happened."
    ),
    catalog.COUNTER_THROTTLES_ALARM: (
        "Health: Lambda refused to run the counter because it is at its concurrency cap; visitors get errors. "
        "Check for a spike or abuse first; raise counter_reserved_concurrency only for real traffic."
    ),
    catalog.COUNTER_P99_DURATION_ALARM: (
        "Health: the counter's slowest runs come close to its timeout; next they will time out. Check DynamoDB "
        "latency and the counter's logs."
    ),
    catalog.VISITS_TABLE_ERRORS_ALARM: (
        "Health: DynamoDB throttled or failed requests on the visits table; visitors get 503. Check the AWS "
        "Health Dashboard and the table's metrics."
    ),
    catalog.VISIT_STORE_FAILURES_ALARM: (
        "Health: the counter could not store or read the count (DynamoDB throttled, failed or unreachable) and "
        "answered 503. Check the counter's logs for the error and the visits table's metrics."
    ),
    catalog.NOTIFIER_ERRORS_ALARM: (
        "Alerting: the alarm notifier failed, so an alarm email may be late or missing. Read its ERROR logs "
        "(an unverified SES sender or the SES sandbox is the usual cause) and check the other alarms yourself."
    ),
    catalog.NOTIFIER_DLQ_ALARM: (
        "Alerting: an alarm notification could not be emailed even after retries and is parked in the "
        "notifier's dead-letter queue. Read it there (it is an alarm you have not seen), fix the cause, then "
        "replay or delete it."
    ),
    catalog.ALARM_TOPIC_DELIVERY_ALARM: (
        "Alerting: SNS could not deliver alarm notifications to the notifier. Check the notifier's throttles "
        "and its dead-letter queue, and the other alarms yourself."
    ),
}


@dataclass(frozen=True)
class _AlarmSpec:
    alarm_id: str
    metric: cloudwatch.IMetric
    threshold: float
    comparison: cloudwatch.ComparisonOperator
    missing_data: cloudwatch.TreatMissingData
    topic: sns.ITopic
    evaluation_periods: int = EVALUATION_PERIODS
    datapoints_to_alarm: int = DATAPOINTS_TO_ALARM


class Alerting(Construct):
    """Exposes `alarm_topic`, `alerting_health_topic`, `alarms` (alarm id → Alarm), `notifier` (PythonFunction),
    `dead_letter_queue`, `idempotency_table`, `sender_identity` and `topic_key`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        counter: PythonFunction,
        http_api: apigw.HttpApi,
        visits_table: dynamodb.ITableV2,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._runbook_url = catalog.runbook_url(config.github_repository, config.deploy_branch)
        self.topic_key = self._topic_key()
        self.alarm_topic = self._topic("AlarmTopic", "Resume backend alarms")
        self.alerting_health_topic = self._topic("AlertingHealthTopic", "Resume backend alerting health")
        for recipient in config.alert_recipients:
            # Plain SNS email: works with no Lambda and no SES; each recipient confirms it once (docs/alerting.md).
            self.alerting_health_topic.add_subscription(subscriptions.EmailSubscription(recipient))

        self.dead_letter_queue = sqs.Queue(
            self,
            "NotifierDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        suppress(self.dead_letter_queue, "AwsSolutions-SQS3")
        self.idempotency_table = self._idempotency_table()
        self.sender_identity = ses.EmailIdentity(
            self, "SenderIdentity", identity=ses.Identity.email(config.sender_email)
        )
        self.notifier = self._notifier()

        thresholds = config.alarm_thresholds
        counter_timeout_ms = config.counter_timeout_seconds * 1000
        count_above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        # A quiet site sends no requests: no data is then good news for anything counted...
        quiet_is_fine = cloudwatch.TreatMissingData.NOT_BREACHING
        # ...but says nothing about latency: keep the state until requests show how fast they are.
        no_evidence = cloudwatch.TreatMissingData.IGNORE
        counter_fn = counter.function
        specs = [
            _AlarmSpec(
                catalog.API_REQUEST_SPIKE_ALARM,
                http_api.metric_count(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                thresholds.api_requests_per_5_minutes,
                count_above,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.COUNTER_INVOCATION_SPIKE_ALARM,
                counter_fn.metric_invocations(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                thresholds.counter_invocations_per_5_minutes,
                count_above,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.API_5XX_ALARM,
                http_api.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                thresholds.api_5xx_per_5_minutes,
                at_least,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.API_P99_LATENCY_ALARM,
                http_api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
                thresholds.api_p99_latency_ms,
                count_above,
                no_evidence,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.COUNTER_ERRORS_ALARM,
                counter_fn.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                thresholds.counter_errors_per_5_minutes,
                at_least,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.COUNTER_THROTTLES_ALARM,
                counter_fn.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                thresholds.counter_throttles_per_5_minutes,
                at_least,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.COUNTER_P99_DURATION_ALARM,
                counter_fn.metric_duration(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
                counter_timeout_ms * thresholds.counter_p99_duration_percent_of_timeout / 100,
                count_above,
                no_evidence,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.VISITS_TABLE_ERRORS_ALARM,
                _table_errors(visits_table),
                thresholds.visits_table_errors_per_5_minutes,
                at_least,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.VISIT_STORE_FAILURES_ALARM,
                cloudwatch.Metric(
                    namespace=catalog.METRICS_NAMESPACE,
                    metric_name=catalog.STORE_FAILURES_METRIC,
                    dimensions_map={catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE},
                    statistic=cloudwatch.Stats.SUM,
                    period=PERIOD,
                ),
                thresholds.counter_store_failures_per_5_minutes,
                at_least,
                quiet_is_fine,
                self.alarm_topic,
            ),
            _AlarmSpec(
                catalog.NOTIFIER_ERRORS_ALARM,
                self.notifier.function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                ANY_FAILURE,
                at_least,
                quiet_is_fine,
                self.alerting_health_topic,
                evaluation_periods=1,
                datapoints_to_alarm=1,
            ),
            _AlarmSpec(
                catalog.NOTIFIER_DLQ_ALARM,
                # NOTE: SQS stops publishing metrics for a queue idle for 6 hours, but a queue holding messages
                # is never idle, so "no data" really means "empty".
                self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                ANY_FAILURE,
                at_least,
                quiet_is_fine,
                self.alerting_health_topic,
                evaluation_periods=1,
                datapoints_to_alarm=1,
            ),
            _AlarmSpec(
                catalog.ALARM_TOPIC_DELIVERY_ALARM,
                self.alarm_topic.metric_number_of_notifications_failed(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                ANY_FAILURE,
                at_least,
                quiet_is_fine,
                self.alerting_health_topic,
                evaluation_periods=1,
                datapoints_to_alarm=1,
            ),
        ]
        self.alarms: dict[str, cloudwatch.Alarm] = {spec.alarm_id: self._alarm(spec) for spec in specs}

    def _topic_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the alarm and alerting-health topics",
            enable_key_rotation=True,
            # SNS keeps no messages at rest once delivered, so nothing needs the key after the topics are gone.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # NOTE: CloudWatch must encrypt what it publishes; the AWS-managed SNS key would not let it, hence this
        # customer-managed key. https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                # Only for this stack's alarms, so another account's CloudWatch cannot use it (confused deputy).
                conditions=self._from_this_stacks_alarms(),
            )
        )
        return key

    def _from_this_stacks_alarms(self) -> dict[str, Any]:
        stack = Stack.of(self)
        return {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=catalog.alarm_name(self._config.stack_name, "*"),
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }

    def _topic(self, construct_id: str, display_name: str) -> sns.Topic:
        # enforce_ssl adds the statement that denies publishing without TLS.
        topic = sns.Topic(self, construct_id, display_name=display_name, master_key=self.topic_key, enforce_ssl=True)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=self._from_this_stacks_alarms(),
            )
        )
        return topic

    def _idempotency_table(self) -> dynamodb.Table:
        # Stateful like the visits table (infra/data.py): retained, protected, recoverable, encrypted.
        # NOTE: a plain Table, not a TableV2 (a global table with one replica) like the visits table: nothing
        # here needs replicas, and the stack's only AWS::DynamoDB::GlobalTable stays the visits table.
        return dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(
                name=catalog.IDEMPOTENCY_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING
            ),
            # Powertools writes the expiry as epoch seconds; DynamoDB's TTL then deletes old records for free.
            time_to_live_attribute=catalog.IDEMPOTENCY_EXPIRY_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _notifier(self) -> PythonFunction:
        config = self._config
        notifier = PythonFunction(
            self,
            "Notifier",
            handler=catalog.NOTIFIER_HANDLER,
            description="Alarm notifier: emails each alarm state change",
            memory_mb=NOTIFIER_MEMORY_MB,
            timeout=NOTIFIER_TIMEOUT,
            log_retention_days=config.log_retention_days,
            environment={
                catalog.SENDER_EMAIL_ENV: config.sender_email,
                catalog.ALERT_RECIPIENTS_ENV: ",".join(config.alert_recipients),
                catalog.IDEMPOTENCY_TABLE_ENV: self.idempotency_table.table_name,
                catalog.STACK_NAME_ENV: config.stack_name,
                catalog.RUNBOOK_URL_ENV: self._runbook_url,
            },
        )
        self.idempotency_table.grant(notifier.function, *IDEMPOTENCY_TABLE_ACTIONS)
        stack = Stack.of(self)
        notifier.role.add_to_policy(
            iam.PolicyStatement(
                actions=[SES_SEND_ACTION],
                resources=[
                    self.sender_identity.email_identity_arn,
                    # NOTE: in the SES sandbox, SES also authorizes the call against each recipient's (verified)
                    # identity, so those ARNs are needed until the account has production access.
                    *(
                        stack.format_arn(
                            service="ses",
                            resource="identity",
                            resource_name=recipient,
                            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                        )
                        for recipient in config.alert_recipients
                    ),
                ],
            )
        )
        # SNS invokes asynchronously: a failed invocation is retried by Lambda, then parked in the queue.
        notifier.function.configure_async_invoke(
            retry_attempts=NOTIFIER_RETRY_ATTEMPTS,
            max_event_age=NOTIFIER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        # A message SNS cannot hand to Lambda at all (after SNS's own retries) lands in the same queue.
        self.alarm_topic.add_subscription(
            subscriptions.LambdaSubscription(notifier.function, dead_letter_queue=self.dead_letter_queue)
        )
        return notifier

    def _alarm(self, spec: _AlarmSpec) -> cloudwatch.Alarm:
        """The one place that creates alarms and sets their actions: ALARM and OK both notify."""
        runbook = catalog.runbook_section_url(self._runbook_url, spec.alarm_id)
        alarm = cloudwatch.Alarm(
            self,
            _construct_id(spec.alarm_id),
            alarm_name=catalog.alarm_name(self._config.stack_name, spec.alarm_id),
            alarm_description=f"{_WHAT_TO_DO[spec.alarm_id]} Runbook: {runbook}",
            metric=spec.metric,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.missing_data,
        )
        action = cloudwatch_actions.SnsAction(spec.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm


def _table_errors(table: dynamodb.ITableV2) -> cloudwatch.MathExpression:
    """Throttled requests plus system errors, for each operation the counter calls (api.COUNTER_TABLE_ACTIONS)."""
    operations = [action.removeprefix("dynamodb:") for action in COUNTER_TABLE_ACTIONS]
    metrics: dict[str, cloudwatch.IMetric] = {}
    for metric_name, prefix in (("ThrottledRequests", "throttled"), ("SystemErrors", "failed")):
        for operation in operations:
            metrics[f"{prefix}{operation}"] = cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name=metric_name,
                dimensions_map={"TableName": table.table_name, "Operation": operation},
                statistic=cloudwatch.Stats.SUM,
                period=PERIOD,
            )
    # FILL: an operation with no throttles publishes nothing, which must count as 0, not blank out the sum.
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({metric_id}, 0)" for metric_id in metrics),
        using_metrics=metrics,
        label="Throttled or failed requests on the visits table",
        period=PERIOD,
    )


def _construct_id(alarm_id: str) -> str:
    return "".join(part.capitalize() for part in alarm_id.split("-")) + "Alarm"
