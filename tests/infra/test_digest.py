"""The weekly digest as CloudFormation will deploy it: a Scheduler cron in UTC invoking the notifier with the
digest's event, a role that may invoke that function only, read-only CloudWatch grants scoped as far as IAM
allows, and no schedule when `digest_schedule` is null."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from functions.common import catalog
from infra.config import ConfigError, DeploymentConfig, app_context, load_config


def _notifier_arn(template: Template) -> dict[str, Any]:
    (logical_id,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": catalog.NOTIFIER_HANDLER}}
    )
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _digest_schedules(template: Template) -> dict[str, Any]:
    """The schedules on a cron (the digest's); the probe's run at a rate."""
    return {
        lid: schedule
        for lid, schedule in template.find_resources("AWS::Scheduler::Schedule").items()
        if schedule["Properties"]["ScheduleExpression"].startswith("cron(")
    }


def test_the_digest_runs_mondays_at_8_utc_and_invokes_the_notifier_with_its_event(template: Template) -> None:
    ((_, schedule),) = _digest_schedules(template).items()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 8 ? * MON *)"
    assert props["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert target["Arn"] == _notifier_arn(template)
    # Scheduler fills in the run's scheduled time: the notifier keys each channel's delivery on it
    assert json.loads(target["Input"]) == {
        "kind": catalog.DIGEST_EVENT_KIND,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "so_far": False,
    }
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 6 * 3600, "MaximumRetryAttempts": 2}
    assert "DeadLetterConfig" in target


def test_the_schedules_role_is_trusted_by_scheduler_of_this_account_and_invokes_the_notifier_only(
    template: Template, template_json: dict[str, Any]
) -> None:
    ((_, schedule),) = _digest_schedules(template).items()
    role_id = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
    trust = template_json["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}},
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
        }
    ]
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}})
    ((_, policy),) = policies.items()
    actions = {statement["Action"] for statement in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert actions == {"lambda:InvokeFunction", "sqs:SendMessage"}


def test_the_notifier_may_read_metrics_and_only_this_stacks_alarm_history(
    template: Template, template_json: dict[str, Any]
) -> None:
    alarm_ids = sorted(template.find_resources("AWS::CloudWatch::Alarm"))
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Action": "cloudwatch:GetMetricData", "Effect": "Allow", "Resource": "*"},
                    {
                        "Action": "cloudwatch:DescribeAlarmHistory",
                        "Effect": "Allow",
                        "Resource": [{"Fn::GetAtt": [alarm_id, "Arn"]} for alarm_id in alarm_ids],
                    },
                ]
            },
            "Roles": [Match.any_value()],
        },
    )


def test_a_null_schedule_deploys_no_digest(synth_with: Any) -> None:
    template = synth_with({"config.digest_schedule": "null"})
    assert _digest_schedules(template) == {}
    assert "cloudwatch:DescribeAlarmHistory" not in json.dumps(template.to_json())


def test_a_schedule_left_out_of_cdk_json_takes_the_default(config: DeploymentConfig) -> None:
    context = app_context()
    del context["config"]["digest_schedule"]
    assert load_config(context).digest_schedule == "cron(0 8 ? * MON *)"


@pytest.mark.parametrize("value", ["cron(0 8 * * MON *)", "cron(0 8 ? * MON)", "rate(7 days)", "0 8 * * 1"])
def test_a_schedule_that_is_not_a_scheduler_cron_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="config key 'digest_schedule'"):
        load_config(app_context(), {"digest_schedule": value})
