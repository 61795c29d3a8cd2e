"""Where alarms are published: the alarm topic (to the notifier) and the alerting-health topic (plain SNS email,
for failures of the notifier path itself); TLS only, under one customer-managed key if `alert_topic_kms`
(docs/alerting.md, "The topics' encryption").
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.monitoring.alarm_spec import AlertRoute
from infra.nag import suppress

# NOTE: the alerting-health emails bypass the notifier's quiet inbox, so SNS itself drops any change not into or out
# of ALARM (a new alarm's first INSUFFICIENT_DATA → OK): a filter on the message body, CloudWatch's JSON.
# https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html
# https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
INTO_OR_OUT_OF_ALARM: Final = {"$or": [{"NewStateValue": ["ALARM"]}, {"OldStateValue": ["ALARM"]}]}


class AlertTopics(Construct):
    """Exposes `alarm_topic`, `alerting_health_topic`, `topic_key` (None unless `alert_topic_kms`) and `by_route`
    (AlertRoute → topic)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Only this stack's alarms may publish or use the key: not another account's CloudWatch (confused deputy).
        self._from_this_stacks_alarms: dict[str, Any] = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=catalog.alarm_name(config.stack_name, "*"),
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        # Opt-in: SNS's own key would refuse CloudWatch alarms (docs/alerting.md, "The topics' encryption").
        self.topic_key = self._topic_key() if config.alert_topic_kms else None
        self.alarm_topic = self._topic("AlarmTopic", "Resume backend alarms")
        self.alerting_health_topic = self._topic("AlertingHealthTopic", "Resume backend alerting health")
        for recipient in config.alert_recipients:
            # Plain SNS email: works with no Lambda and no SES; each recipient confirms it once (docs/alerting.md).
            subscription = self.alerting_health_topic.add_subscription(subscriptions.EmailSubscription(recipient))
            # CDK's filter_policy_with_message_body has no "$or": the L1 properties take the policy as it is.
            cfn_subscription = subscription.node.default_child
            assert isinstance(cfn_subscription, sns.CfnSubscription)
            cfn_subscription.filter_policy = INTO_OR_OUT_OF_ALARM
            cfn_subscription.filter_policy_scope = "MessageBody"
        self.by_route: dict[AlertRoute, sns.ITopic] = {
            AlertRoute.OWNER: self.alarm_topic,
            AlertRoute.ALERTING_HEALTH: self.alerting_health_topic,
        }

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
        alarms = iam.ServicePrincipal("cloudwatch.amazonaws.com", conditions=self._from_this_stacks_alarms)
        key.grant(alarms, "kms:Decrypt", "kms:GenerateDataKey*")
        return key

    def _topic(self, construct_id: str, display_name: str) -> sns.Topic:
        # enforce_ssl adds the statement that denies publishing without TLS.
        topic = sns.Topic(self, construct_id, display_name=display_name, master_key=self.topic_key, enforce_ssl=True)
        if self.topic_key is None:
            suppress(topic, "AwsSolutions-SNS2")
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=self._from_this_stacks_alarms,
            )
        )
        return topic
