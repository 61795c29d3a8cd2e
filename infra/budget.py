"""The account's monthly cost budget (AWS Budgets), alerting on the alerting-health topic, not through the notifier;
the topic's and key's policies that let Budgets publish: docs/alerting.md, "Cost budget"."""

from __future__ import annotations

from typing import Final

from aws_cdk import Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

BUDGETS_PRINCIPAL: Final = "budgets.amazonaws.com"
ACTUAL_ALERT_PERCENTS: Final = (80, 100)
"""Actual cost crossing these percentages of the budget: a warning, then the budget spent."""
FORECASTED_ALERT_PERCENTS: Final = (100,)
"""AWS's forecast for the month crossing the budget: early warning, days before the actual cost does."""


class CostBudget(Construct):
    """Exposes `budget` (the CfnBudget). `topic_key`: the topic's customer-managed key, or None."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        budget_name: str,
        monthly_limit_usd: int,
        topic: sns.ITopic,
        topic_key: kms.IKey | None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        from_this_accounts_budgets = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"},
        }
        allowed = topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsBudgetsToPublish",
                principals=[iam.ServicePrincipal(BUDGETS_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_this_accounts_budgets,
            )
        )
        if topic_key is not None:
            this_accounts_budgets = iam.ServicePrincipal(BUDGETS_PRINCIPAL, conditions=from_this_accounts_budgets)
            topic_key.grant(this_accounts_budgets, "kms:GenerateDataKey*", "kms:Decrypt")
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=[budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)],
            )
            for kind, percents in (("ACTUAL", ACTUAL_ALERT_PERCENTS), ("FORECASTED", FORECASTED_ALERT_PERCENTS))
            for percent in percents
        ]
        self.budget = budgets.CfnBudget(
            self,
            "MonthlyCost",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_limit_usd, unit="USD"),
            ),
            notifications_with_subscribers=notifications,
        )
        # Budgets checks that it may publish when the budget is created: the topic policy must exist first.
        if allowed.policy_dependable is not None:
            self.budget.node.add_dependency(allowed.policy_dependable)
