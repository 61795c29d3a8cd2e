"""IAM locally: each Lambda runs with keys limited to the actions its own execution role grants in the template, so
a missing grant fails here as it would on AWS.

NOTE: moto matches every request against the resource `*`, so each statement's resources are widened to `*` (the
actions are proven, not the resources or conditions): https://docs.getmoto.org/en/latest/docs/iam.html. It names an
action by its SigV4 signing name (`monitoring:GetMetricData` for `cloudwatch:GetMetricData`), so such an action is
granted under both: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from stack_model.iam import Role
from stack_model.stack import StackModel

POLICY_NAME: Final = "execution-role"
SIGNING_NAMES: Final = {"cloudwatch": "monitoring"}  # IAM service prefix → the name moto checks, where they differ


def role_policy(role: Role | None) -> dict[str, Any]:
    """The role's statements as one policy document, resources widened to `*` (see above)."""
    statements = [] if role is None else role.statements
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": statement.effect, "Action": _as_moto_checks(statement.actions), "Resource": "*"}
            for statement in statements
            if statement.actions
        ],
    }


def _as_moto_checks(actions: tuple[str, ...]) -> list[str]:
    named = list(actions)
    for action in actions:
        prefix, _, name = action.partition(":")
        if prefix in SIGNING_NAMES:
            named.append(f"{SIGNING_NAMES[prefix]}:{name}")
    return named


def function_credentials(model: StackModel, iam: Any) -> dict[str, dict[str, str]]:
    """Function logical id → the keys of an IAM user (on the emulator) allowed what its role allows."""
    return {
        function_id: user_credentials(iam, user_name(function_id), role_policy(model.role_of(function_id)))
        for function_id in model.functions
    }


def user_name(function_id: str) -> str:
    """The IAM user whose keys the function runs with (its execution role's stand-in)."""
    return f"lambda-{function_id}"


def user_credentials(iam: Any, user_name: str, policy: Mapping[str, Any]) -> dict[str, str]:
    """A new IAM user with `policy` as its one inline policy; its keys as a Lambda's environment holds them."""
    iam.create_user(UserName=user_name)
    if policy["Statement"]:
        iam.put_user_policy(UserName=user_name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
