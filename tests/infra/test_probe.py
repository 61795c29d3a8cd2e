"""The availability probe as CloudFormation will deploy it: its schedule, the roles, its environment, its alarm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.probe import PROBE_RETRY_ATTEMPTS


def _resources(template: Template, resource_type: str) -> dict[str, Mapping[str, Any]]:
    return {lid: r for lid, r in template.to_json()["Resources"].items() if r["Type"] == resource_type}


def _probe_schedules(template: Template) -> list[Mapping[str, Any]]:
    """The schedules at a rate (the probe's); the digest's runs on a cron."""
    schedules = _resources(template, "AWS::Scheduler::Schedule").values()
    return [s for s in schedules if s["Properties"]["ScheduleExpression"].startswith("rate(")]


def _probe(template: Template) -> tuple[str, Mapping[str, Any]]:
    (found,) = [
        (lid, r["Properties"])
        for lid, r in _resources(template, "AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] == catalog.PROBE_HANDLER
    ]
    return found


def _policies_of(template: Template, role_id: str) -> list[Mapping[str, Any]]:
    return [
        statement
        for policy in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_scheduler_invokes_the_probe_every_interval_without_retries(
    template: Template, config: DeploymentConfig
) -> None:
    probe_id, _ = _probe(template)
    (schedule,) = _probe_schedules(template)
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == f"rate({config.probe_interval_minutes} minutes)"
    assert props["State"] == "ENABLED"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [probe_id, "Arn"]}
    assert props["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == PROBE_RETRY_ATTEMPTS == 0
    # Lambda does not retry it either (a failed check is not an error, but a crash must not double a datapoint).
    (invoke_config,) = [
        r["Properties"]
        for r in _resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": probe_id}
    ]
    assert invoke_config["MaximumRetryAttempts"] == 0


def test_the_scheduler_role_is_trusted_by_this_accounts_scheduler_and_may_only_invoke_the_probe(
    template: Template, config: DeploymentConfig
) -> None:
    probe_id, _ = _probe(template)
    (schedule,) = _probe_schedules(template)
    role_id = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
    role = template.to_json()["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": config.account}}
    (statement,) = _policies_of(template, role_id)
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == [
        {"Fn::GetAtt": [probe_id, "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [probe_id, "Arn"]}, ":*"]]},
    ]


def test_the_probe_knows_the_site_and_api_and_may_only_write_its_logs(template: Template) -> None:
    _, props = _probe(template)
    assert set(props["Environment"]["Variables"]) == {
        catalog.PROBE_SITE_URL_ENV,
        catalog.PROBE_SITE_ORIGIN_ENV,
        catalog.PROBE_API_URL_ENV,
    }
    actions = {
        action
        for statement in _policies_of(template, props["Role"]["Fn::GetAtt"][0])
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}  # untraced: no X-Ray


def test_the_interval_sets_the_schedule_and_the_alarm_period(synth_with: Any) -> None:
    template = synth_with({"config.probe_interval_minutes": "5"})
    (schedule,) = _probe_schedules(template)
    assert schedule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (alarm,) = [
        r["Properties"]
        for r in _resources(template, "AWS::CloudWatch::Alarm").values()
        if r["Properties"]["AlarmName"].endswith(f"-{catalog.SITE_UNAVAILABLE_ALARM}")
    ]
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (300, 2, 2)
