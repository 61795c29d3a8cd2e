"""The cost budget and the throttle guard in the template: the budget's alerts go to the alerting-health topic,
which Budgets (of this account only) may publish to and encrypt for; the notifier may PATCH exactly the API's
stage and knows its limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from functions.common import catalog
from infra.budget import ACTUAL_ALERT_PERCENTS, FORECASTED_ALERT_PERCENTS, CostBudget
from infra.config import DeploymentConfig

NOTIFIER_HANDLER = catalog.NOTIFIER_HANDLER


def _resources(template: Template, resource_type: str) -> dict[str, Any]:
    return dict(template.find_resources(resource_type))


def _topic(template: Template, display_name: str) -> str:
    (topic,) = template.find_resources("AWS::SNS::Topic", {"Properties": {"DisplayName": display_name}})
    return str(topic)


def _health_topic(template: Template) -> str:
    return _topic(template, "Resume backend alerting health")


def _budgets_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in document["Statement"] if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]


THIS_ACCOUNTS_BUDGETS = {
    "StringEquals": {"aws:SourceAccount": "111111111111"},
    "ArnLike": {"aws:SourceArn": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":budgets::111111111111:*"]]}},
}


def test_a_monthly_cost_budget_of_the_configured_amount(template: Template, config: DeploymentConfig) -> None:
    (budget,) = _resources(template, "AWS::Budgets::Budget").values()
    assert budget["Properties"]["Budget"] == {
        "BudgetName": f"{config.stack_name}-monthly-cost",
        "BudgetType": "COST",
        "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": config.monthly_budget_usd, "Unit": "USD"},
    }
    assert config.monthly_budget_usd == 5  # the default, cdk.json sets none


def test_its_actual_and_forecasted_alerts_go_to_the_alerting_health_topic(template: Template) -> None:
    (budget,) = _resources(template, "AWS::Budgets::Budget").values()
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert sorted((n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications) == [
        ("ACTUAL", 80),
        ("ACTUAL", 100),
        ("FORECASTED", 100),
    ]
    assert (ACTUAL_ALERT_PERCENTS, FORECASTED_ALERT_PERCENTS) == ((80, 100), (100,))
    for notification in notifications:
        assert notification["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert notification["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": _health_topic(template)}}]


def test_only_this_accounts_budgets_may_publish_and_only_to_the_alerting_health_topic(template: Template) -> None:
    policies = _resources(template, "AWS::SNS::TopicPolicy")
    by_topic = {policy["Properties"]["Topics"][0]["Ref"]: policy for policy in policies.values()}
    health = by_topic[_health_topic(template)]
    assert _budgets_statements(health["Properties"]["PolicyDocument"]) == [
        {
            "Sid": "AllowThisAccountsBudgetsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": _health_topic(template)},
            "Condition": THIS_ACCOUNTS_BUDGETS,
        }
    ]
    others = [policy for topic, policy in by_topic.items() if topic != _health_topic(template)]
    assert others
    assert all(_budgets_statements(p["Properties"]["PolicyDocument"]) == [] for p in others)
    # Budgets checks its permission when the budget is created: the policy comes first.
    (budget,) = _resources(template, "AWS::Budgets::Budget").values()
    (health_policy_id,) = [key for key, policy in policies.items() if policy is health]
    assert health_policy_id in budget["DependsOn"]


def test_with_alert_topic_kms_the_topic_key_lets_this_accounts_budgets_encrypt(synth_with: Any) -> None:
    # When the alerting-health topic is encrypted with a customer-managed key (alert_topic_kms, infra/
    # alert_topics.py), Budgets must be able to use that key; an unencrypted topic needs no key statement (next test).
    template = synth_with({"config.alert_topic_kms": "true"})
    topic = template.to_json()["Resources"][_health_topic(template)]
    key_ref = topic["Properties"]["KmsMasterKeyId"]
    key = template.to_json()["Resources"][key_ref["Fn::GetAtt"][0]]
    assert _budgets_statements(key["Properties"]["KeyPolicy"]) == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": THIS_ACCOUNTS_BUDGETS,
        }
    ]


def test_a_budget_on_an_unencrypted_topic_needs_only_the_topic_policy() -> None:
    # Given the budget construct on a plain topic (no key: topic_key=None)
    stack = Stack(App(), "Plain", env=Environment(account="111111111111", region="eu-west-1"))
    topic = sns.Topic(stack, "Health")
    CostBudget(stack, "Budget", budget_name="plain-monthly-cost", monthly_limit_usd=5, topic=topic, topic_key=None)
    template = Template.from_stack(stack)
    # Then Budgets may publish to it, and no key or key policy is involved
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    assert [s["Condition"] for s in _budgets_statements(policy["Properties"]["PolicyDocument"])] == [
        THIS_ACCOUNTS_BUDGETS
    ]
    assert template.find_resources("AWS::KMS::Key") == {}
    template.resource_count_is("AWS::Budgets::Budget", 1)


def _notifier_statements(template: Template) -> list[Mapping[str, Any]]:
    (function_id,) = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": NOTIFIER_HANDLER}})
    function = template.to_json()["Resources"][function_id]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_notifier_may_patch_exactly_the_apis_stage(template: Template) -> None:
    (api_id,) = template.find_resources("AWS::ApiGatewayV2::Api")
    (stage,) = template.find_resources("AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["StageName"] == "$default"
    apigateway = [s for s in _notifier_statements(template) if "apigateway" in str(s["Action"])]
    assert apigateway == [
        {
            "Action": "apigateway:PATCH",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":apigateway:eu-west-1::/apis/",
                        {"Ref": api_id},
                        "/stages/$default",
                    ],
                ]
            },
        }
    ]


def test_the_budget_follows_its_config_key(synth_with: Any) -> None:
    template = synth_with({"config.monthly_budget_usd": "12"})
    template.has_resource_properties(
        "AWS::Budgets::Budget", {"Budget": Match.object_like({"BudgetLimit": {"Amount": 12, "Unit": "USD"}})}
    )


def test_the_guard_limits_follow_their_config_keys(synth_with: Any) -> None:
    template = synth_with({"config.guard_rate_per_second": "5", "config.guard_burst_requests": "7"})
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": NOTIFIER_HANDLER,
            "Environment": {
                "Variables": Match.object_like({catalog.GUARD_RATE_ENV: "5", catalog.GUARD_BURST_ENV: "7"})
            },
        },
    )
