"""Least privilege, proven by running: each local Lambda calls the emulator with keys allowed only the actions of
its own execution role in the template (moto enforces them), so a grant missing from the template fails locally."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stack_model.stack import StackModel
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.emulator import AwsEmulator
from tools.local.iam import function_credentials
from tools.local.lambda_runtime.runtime import LambdaRuntime

HANDLERS = "tests.unit.local.handlers"
TABLE_ARN = {"Fn::GetAtt": ["Table", "Arn"]}


def _function(module: str, role: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": f"{HANDLERS}.{module}.lambda_handler",
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": "Table"}}},
        },
    }


def _policy(role: str, actions: list[str]) -> dict[str, Any]:
    """As CDK's grants write them: scoped to the table's ARN (moto cannot match it; iam.py widens it)."""
    statement = {"Effect": "Allow", "Action": actions, "Resource": TABLE_ARN}
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyDocument": {"Statement": [statement]}, "Roles": [{"Ref": role}]},
    }


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "WriterRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        "WriterPolicy": _policy("WriterRole", ["dynamodb:GetItem", "dynamodb:PutItem"]),
        "Writer": _function("table_writer", "WriterRole"),
        "ReaderRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        "ReaderPolicy": _policy("ReaderRole", ["dynamodb:GetItem"]),
        "Reader": _function("table_reader", "ReaderRole"),
    }
}


@pytest.fixture
def emulator() -> Iterator[AwsEmulator]:
    """The emulator enforcing IAM, with the template's table; enforcement ends with it (it is process-wide)."""
    emulator = AwsEmulator()
    emulator.start()
    try:
        emulator.reset()
        emulator.enforce_iam()
        emulator.clients().dynamodb.create_table(
            TableName="Table",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield emulator
    finally:
        emulator.stop()


def _runtime(template: dict[str, Any], emulator: AwsEmulator, logs_dir: Path) -> LambdaRuntime:
    model = StackModel.from_template(template)
    return LambdaRuntime(
        model,
        platform=emulator.lambda_environment(),
        metrics=MetricStore(),
        logs_dir=logs_dir,
        local_environment=function_credentials(model, emulator.client("iam")),
    )


def _denied(error: BaseException | None) -> str:
    """The action a call was denied, from moto's answer (403, its message naming the action)."""
    assert isinstance(error, ClientError), error
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return str(error).split("is not authorized to perform: ")[1].split("<")[0]


def test_a_function_may_do_what_its_role_grants_and_nothing_more(emulator: AwsEmulator, tmp_path: Path) -> None:
    runtime = _runtime(TEMPLATE, emulator, tmp_path)
    # When the writer (GetItem, PutItem) writes, and then the reader (GetItem only) tries to
    written = runtime.function("Writer").invoke({})
    refused = runtime.function("Reader").invoke({})
    # Then the writer's role, scoped to the table's ARN in the template, let it write and read back
    assert written.error is None
    assert written.response == {"pk": {"S": "Writer"}}
    # And the reader, in the same process, did not borrow the writer's keys: its PutItem was denied
    assert _denied(refused.error) == "dynamodb:PutItem"


def test_removing_one_grant_from_the_template_fails_the_call_it_allowed(emulator: AwsEmulator, tmp_path: Path) -> None:
    # Given the template with PutItem removed from the writer's role
    template = copy.deepcopy(TEMPLATE)
    template["Resources"]["WriterPolicy"] = _policy("WriterRole", ["dynamodb:GetItem"])
    runtime = _runtime(template, emulator, tmp_path)
    # When the writer runs
    invocation = runtime.function("Writer").invoke({})
    # Then its PutItem is denied, as it would be on AWS
    assert _denied(invocation.error) == "dynamodb:PutItem"
    # And the system's own clients keep every right
    emulator.clients().dynamodb.put_item(TableName="Table", Item={"pk": {"S": "system"}})


def test_a_call_the_emulator_lacks_is_one_line_not_a_traceback(
    emulator: AwsEmulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # When a client makes a call moto does not implement (the digest's DescribeAlarmHistory)
    with pytest.raises(ClientError) as raised:
        emulator.client("cloudwatch").describe_alarm_history(AlarmName="any")
    # Then the caller gets an error it can handle, and the terminal one line without a traceback
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert [r.getMessage() for r in caplog.records if "not emulated" in r.getMessage()] == [
        "aws emulator: not emulated, answered 501: The describe_alarm_history action has not been implemented"
    ]
    assert "Traceback" not in capfd.readouterr().err
