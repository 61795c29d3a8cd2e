"""The notifier service: the Lambda that delivers each alarm (functions/notifier), its idempotency table, its
dead-letter queue and the SES identity it sends from (docs/alerting.md, "The notifier" and "IAM").

NOTE: the stack owns the sender's SES identity, so SES mails sender_email a verification link on create; one made by
hand as well fails the deploy with AlreadyExists, which `make preflight` checks (docs/deploy.md).
"""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.lambda_factory import PythonFunction
from infra.nag import suppress
from infra.stateful import STATEFUL_REMOVAL_POLICY, parking_queue

NOTIFIER_MEMORY_MB: Final = 256
# Each timeout covers the worst case of the clients' retries with backoff (functions/notifier): a timeout after a
# channel took the alert but before its idempotency record completed would deliver it twice on the retry.
NOTIFIER_TIMEOUT: Final = Duration.seconds(60)
"""Email: SES 3 x (2 + 5) s and two idempotency writes of 3 x (1 + 2) s, about 40 s."""
CHANNEL_TIMEOUT_BUDGET: Final = Duration.seconds(40)
"""Added per channel besides email: SSM 3 x (1 + 2) s, two idempotency writes, 2 POSTs of 5 s: about 38 s."""
GUARD_TIMEOUT_BUDGET: Final = Duration.seconds(40)
"""Added for the throttle guard (infra/guard.py): UpdateStage 2 x (1 + 3) s, three writes of 3 x (1 + 2) s."""
SSM_READ_ACTIONS: Final = ("ssm:GetParameter",)
"""No kms:Decrypt: SSM decrypts a SecureString under the AWS-managed key's policy (docs/alerting.md#iam)."""
PROBE_LOG_READ_ACTIONS: Final = ("logs:FilterLogEvents",)
NOTIFIER_RETRY_ATTEMPTS: Final = 2
"""Lambda's own retries of a failed asynchronous invocation (the maximum), before the dead-letter queue."""
NOTIFIER_MAX_EVENT_AGE: Final = Duration.hours(6)
"""An alert older than this is stale; it goes to the dead-letter queue instead of being retried."""
# What Powertools idempotency (DynamoDBPersistenceLayer) calls on its table, and no more.
IDEMPOTENCY_TABLE_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
SES_SEND_ACTIONS: Final = ("ses:SendEmail", "ses:SendRawEmail")
"""NOTE: SES v2 SendEmail with raw (MIME) content, as the notifier sends, is authorized as ses:SendRawEmail.
https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html"""
SES_VERIFICATION_ACTIONS: Final = ("ses:GetIdentityVerificationAttributes",)
"""Asked before each send (functions/notifier/sender.py). NOTE: it supports no resource-level permissions, hence
Resource "*" (infra/nag.py). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonses.html"""


class NotifierService(Construct):
    """Exposes `notifier` (PythonFunction), `dead_letter_queue`, `idempotency_table` and `sender_identity`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, alarm_topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._runbook_url = catalog.runbook_url(config.github_repository, config.deploy_branch)
        self.dead_letter_queue = parking_queue(self, "NotifierDeadLetterQueue")
        suppress(self.dead_letter_queue, "AwsSolutions-SQS3")
        self.idempotency_table = self._idempotency_table()
        self.sender_identity = ses.EmailIdentity(
            self, "SenderIdentity", identity=ses.Identity.email(config.sender_email)
        )
        self.notifier = self._notifier(alarm_topic)

    def _idempotency_table(self) -> dynamodb.Table:
        # Retained, recoverable and encrypted like the visits table; a plain Table, as nothing here needs replicas.
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
            removal_policy=STATEFUL_REMOVAL_POLICY,
        )

    def _notifier(self, alarm_topic: sns.ITopic) -> PythonFunction:
        config = self._config
        channels = config.alert_channels
        notifier = PythonFunction(
            self,
            "Notifier",
            handler=catalog.NOTIFIER_HANDLER,
            description="Alarm notifier: emails each alarm state change"
            + (f", and posts it to {' and '.join(c.type for c in channels)}" if channels else ""),
            memory_mb=NOTIFIER_MEMORY_MB,
            timeout=Duration.seconds(
                NOTIFIER_TIMEOUT.to_seconds()
                + GUARD_TIMEOUT_BUDGET.to_seconds()
                + len(channels) * CHANNEL_TIMEOUT_BUDGET.to_seconds()
            ),
            log_retention_days=config.log_retention_days,
        )
        self.deliver_on_channels(notifier)
        # SNS invokes asynchronously: a failed invocation is retried by Lambda, then parked in the queue.
        notifier.function.configure_async_invoke(
            retry_attempts=NOTIFIER_RETRY_ATTEMPTS,
            max_event_age=NOTIFIER_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        # A message SNS cannot hand to Lambda at all (after SNS's own retries) lands in the same queue.
        alarm_topic.add_subscription(
            subscriptions.LambdaSubscription(notifier.function, dead_letter_queue=self.dead_letter_queue)
        )
        return notifier

    def deliver_on_channels(self, function: PythonFunction) -> None:
        """What delivering on the alert channels takes (functions/notifier/delivery.py), for the notifier and the
        weekly digest alike: their settings, and grants on those resources only."""
        config = self._config
        environment = {
            catalog.SENDER_EMAIL_ENV: config.sender_email,
            catalog.ALERT_RECIPIENTS_ENV: ",".join(config.alert_recipients),
            catalog.IDEMPOTENCY_TABLE_ENV: self.idempotency_table.table_name,
            catalog.STACK_NAME_ENV: config.stack_name,
            catalog.RUNBOOK_URL_ENV: self._runbook_url,
        }
        if config.alert_channels:  # the parameter NAMES of the optional channels; the URLs stay in SSM
            environment[catalog.ALERT_CHANNELS_ENV] = ",".join(
                f"{c.type}={c.parameter_name}" for c in config.alert_channels
            )
        function.add_environment(environment)
        self.idempotency_table.grant(function.function, *IDEMPOTENCY_TABLE_ACTIONS)
        if config.alert_channels:
            function.allow(SSM_READ_ACTIONS, self._channel_parameter_arns())
        function.allow(SES_SEND_ACTIONS, [self.sender_identity.email_identity_arn, *self._identity_arns()])
        function.allow(SES_VERIFICATION_ACTIONS, ["*"])

    def read_probe_failures(self, probe_log_group: logs.ILogGroup) -> None:
        """Lets the notifier quote the probe's latest failed check in site-unavailable emails: an alarm's own
        message gives only the numbers (docs/alerting.md#availability-probe).
        NOTE: FilterLogEvents is authorized on the log group's ARN.
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html"""
        self.notifier.add_environment({catalog.PROBE_LOG_GROUP_ENV: probe_log_group.log_group_name})
        self.notifier.allow(PROBE_LOG_READ_ACTIONS, [probe_log_group.log_group_arn])

    def _channel_parameter_arns(self) -> list[str]:
        # NOTE: a parameter's ARN is `parameter/<name without its leading slash>`.
        stack = Stack.of(self)
        return [
            stack.format_arn(service="ssm", resource="parameter", resource_name=channel.parameter_name.lstrip("/"))
            for channel in self._config.alert_channels
        ]

    def _identity_arns(self) -> list[str]:
        """The other identities SES may authorize a send against: the sender's domain (while the address awaits its
        click) and, in the sandbox, each recipient's address and domain (docs/alerting.md#iam).
        https://docs.aws.amazon.com/ses/latest/dg/sending-authorization-policies.html"""
        stack = Stack.of(self)
        config = self._config
        identities = dict.fromkeys(
            [
                _domain(config.sender_email),
                *(identity for recipient in config.alert_recipients for identity in (recipient, _domain(recipient))),
            ]
        )
        return [
            stack.format_arn(
                service="ses", resource="identity", resource_name=identity, arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )
            for identity in identities
        ]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1]
