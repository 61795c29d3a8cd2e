"""IAM locally: each Lambda runs with keys limited to the actions its own execution role grants in the template, so
a missing grant fails here (`make dev`, the end-to-end tests) as it would on AWS, not first in production.

NOTE: moto's IAM enforcement checks a request's action against its caller's policies, but matches every request
of DynamoDB, SES, SSM and CloudWatch against the resource `*`: a statement scoped to a table's ARN would be denied.
So each statement is kept with its resources widened to `*`. This proves the actions, not the resources; nor are
conditions evaluated. https://docs.getmoto.org/en/latest/docs/iam.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from stack_model.iam import Role
from stack_model.stack import StackModel
from tools.local.lambda_runtime.runtime import ASSET_PACKAGE

POLICY_NAME: Final = "execution-role"


def role_policy(role: Role | None) -> dict[str, Any]:
    """The role's statements as one policy document, each statement's resources widened to `*` (see above).
    A role without statements grants nothing: an empty statement list."""
    statements = [] if role is None else role.statements
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": statement.effect, "Action": list(statement.actions), "Resource": "*"}
            for statement in statements
            if statement.actions
        ],
    }


def function_credentials(model: StackModel, iam: Any) -> dict[str, dict[str, str]]:
    """Function logical id → the AWS_* keys of an IAM user (on the emulator) allowed what its role allows; for every
    function the local runtime can run (the Lambda asset's). `iam`: a client of the system's own."""
    return {
        function_id: user_credentials(iam, f"lambda-{function_id}", role_policy(model.role_of(function_id)))
        for function_id, function in model.functions.items()
        if function.module_name.startswith(f"{ASSET_PACKAGE}.")
    }


def user_credentials(iam: Any, user_name: str, policy: Mapping[str, Any]) -> dict[str, str]:
    """A new IAM user with `policy` as its one inline policy; its keys as a Lambda's environment holds them."""
    iam.create_user(UserName=user_name)
    if policy["Statement"]:
        iam.put_user_policy(UserName=user_name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
