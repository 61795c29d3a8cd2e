"""The weekly digest as CloudFormation will deploy it: a Scheduler cron in UTC invoking the notifier with the
digest's event, a role that may invoke that function only, a CloudWatch grant for this stack's alarm history
only (no metric reads), and no schedule when `digest_schedule` is null."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.common import catalog
from infra.app import build_app
from infra.config import ConfigError, DeploymentConfig, app_context, load_config
from stack_model.stack import StackModel


def _function_id(template: Template, handler: str) -> str:
    (logical_id,) = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": handler}})
    return logical_id


def _role_statements(template_json: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    """Every statement of the policies attached to the role of the function with this handler."""
    resources = template_json["Resources"]
    function_id = _function_id(Template.from_json(template_json), handler)
    role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


def _digest_schedules(template: Template) -> dict[str, Any]:
    """The schedules on a cron (the digest's); the probe's run at a rate."""
    return {
        lid: schedule
        for lid, schedule in template.find_resources("AWS::Scheduler::Schedule").items()
        if schedule["Properties"]["ScheduleExpression"].startswith("cron(")
    }


def test_the_digest_runs_mondays_at_8_utc_and_invokes_its_own_function_with_its_event(template: Template) -> None:
    ((_, schedule),) = _digest_schedules(template).items()
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 8 ? * MON *)"
    assert props["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [_function_id(template, catalog.DIGEST_HANDLER), "Arn"]}
    # Scheduler fills in the run's scheduled time: the digest keys each channel's delivery on it
    assert json.loads(target["Input"]) == {
        "kind": catalog.DIGEST_EVENT_KIND,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "so_far": False,
    }
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 6 * 3600, "MaximumRetryAttempts": 2}
    assert "DeadLetterConfig" in target


def test_the_schedules_role_is_trusted_by_scheduler_of_this_account_and_invokes_the_digest_only(
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


def test_the_digest_reads_only_this_stacks_alarm_history_and_no_metrics(
    template: Template, template_json: dict[str, Any]
) -> None:
    alarm_ids = sorted(template.find_resources("AWS::CloudWatch::Alarm"))
    statements = _role_statements(template_json, catalog.DIGEST_HANDLER)
    (history,) = [s for s in statements if "cloudwatch:DescribeAlarmHistory" in _actions([s])]
    assert history["Action"] == "cloudwatch:DescribeAlarmHistory"
    assert history["Resource"] == [{"Fn::GetAtt": [alarm_id, "Arn"]} for alarm_id in alarm_ids]
    # Its figures come from the visits table: the alarm history is its only CloudWatch read
    digest_actions = _actions(statements)
    assert {a for a in digest_actions if a.startswith("cloudwatch:")} == {"cloudwatch:DescribeAlarmHistory"}
    assert {"cloudwatch:DescribeAlarmHistory", "ses:SendRawEmail"} <= digest_actions
    # The reads are the digest's alone: the notifier's role reads no CloudWatch data
    assert not {a for a in _actions(_role_statements(template_json, catalog.NOTIFIER_HANDLER)) if "cloudwatch" in a}


def test_the_digests_failures_go_to_the_notifiers_dead_letter_queue_and_no_alarm_is_added(
    template: Template, synth_with: Any
) -> None:
    # Given the digest's async-invoke config and the notifier's
    configs = {
        config["Properties"]["FunctionName"]["Ref"]: config["Properties"]
        for config in template.find_resources("AWS::Lambda::EventInvokeConfig").values()
    }
    digest = configs[_function_id(template, catalog.DIGEST_HANDLER)]
    notifier = configs[_function_id(template, catalog.NOTIFIER_HANDLER)]
    # Then a digest that failed after Lambda's retries lands in the queue `notifier-dead-letters` watches
    assert digest["DestinationConfig"] == notifier["DestinationConfig"]
    assert digest["MaximumRetryAttempts"] == 2
    # And the digest's function adds no alarm: the stack has the same alarms without it
    without_digest = synth_with({"config.digest_schedule": "null"})
    assert (
        template.find_resources("AWS::CloudWatch::Alarm").keys()
        == without_digest.find_resources("AWS::CloudWatch::Alarm").keys()
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


def _notes_schedules(template: Template) -> dict[str, Any]:
    return {
        lid: schedule
        for lid, schedule in template.find_resources("AWS::Scheduler::Schedule").items()
        if json.loads(schedule["Properties"]["Target"].get("Input", "{}")).get("kind") == catalog.NOTES_EVENT_KIND
    }


def _table_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements on the visits table (the idempotency table has its own, without LeadingKeys)."""
    return [s for s in _role_statements(template_json, catalog.DIGEST_HANDLER) if "LeadingKeys" in json.dumps(s)]


def test_notes_are_off_by_default_no_schedule_and_no_write(template: Template, template_json: dict[str, Any]) -> None:
    assert _notes_schedules(template) == {}
    assert not [s for s in template.find_resources("AWS::Scheduler::Schedule").values() if "rate(1 hour)" in str(s)]
    # The digest reads the visits table's figure items by key, and writes nothing there
    (read,) = _table_statements(template_json)
    assert sorted(read["Action"]) == ["dynamodb:BatchGetItem", "dynamodb:GetItem"]
    visits_table = StackModel.from_template(template_json).table_named_by(catalog.TABLE_NAME_ENV)
    assert read["Resource"] == {"Fn::GetAtt": [visits_table, "Arn"]}
    assert read["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["visits", "day#*", "link#*", catalog.LINK_REGISTRY_KEY]}
    }
    digest_id = _function_id(template, catalog.DIGEST_HANDLER)
    environment = template_json["Resources"][digest_id]["Properties"]["Environment"]["Variables"]
    assert catalog.TABLE_NAME_ENV in environment


def test_notes_on_run_hourly_and_may_write_their_state_item_only(synth_with: Any) -> None:
    # Given the notes turned on and the weekly digest off
    template = synth_with({"config.reader_notes": "true", "config.digest_schedule": "null"})
    template_json = template.to_json()
    # Then the digest's function runs hourly with the notes' event, and there is no weekly schedule
    ((_, schedule),) = _notes_schedules(template).items()
    props = schedule["Properties"]
    assert (props["ScheduleExpression"], props["ScheduleExpressionTimezone"]) == ("rate(1 hour)", "Etc/UTC")
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [_function_id(template, catalog.DIGEST_HANDLER), "Arn"]}
    assert json.loads(props["Target"]["Input"]) == {
        "kind": catalog.NOTES_EVENT_KIND,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    assert props["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    assert "DeadLetterConfig" in props["Target"]
    assert _digest_schedules(template) == {}
    # And its one write is the state item
    read, write = _table_statements(template_json)
    assert catalog.NOTES_STATE_KEY in read["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert write["Action"] == "dynamodb:PutItem"
    assert write["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [catalog.NOTES_STATE_KEY]}}


def test_notes_on_pass_cdk_nag_without_a_new_acknowledgement(tmp_path: Path) -> None:
    # Given the app with the notes on: synth applies cdk-nag and fails on any unacknowledged finding
    app, _ = build_app(outdir=str(tmp_path), context={"config.reader_notes": "true"})
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r["conclusion"] != "success"] == []
