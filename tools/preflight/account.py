"""Checks of the account as a whole: the credentials, the CDK bootstrap, the application stack's state."""

from __future__ import annotations

from typing import Final

from botocore.exceptions import ClientError, NoCredentialsError

from tools.preflight.core import DENIED_CODES, Check, Context, Result, Status, error_code

BOOTSTRAP_STACK: Final = "CDKToolkit"
"""The name `cdk bootstrap` gives its stack unless told otherwise (--toolkit-stack-name)."""


def _no_credentials(error: object) -> Result:
    return Result(
        Status.FAIL,
        f"no usable AWS credentials: {error}",
        "aws configure sso   # or: export AWS_PROFILE=<a profile of the account you deploy to>",
        "`aws sts get-caller-identity` must then show the account config.account names",
    )


def check_credentials(context: Context) -> Result:
    config = context.config
    try:
        identity = context.client("sts").get_caller_identity()
    except NoCredentialsError as error:
        return _no_credentials(error)
    except ClientError as error:
        if error_code(error) in DENIED_CODES:
            raise
        return _no_credentials(f"{error_code(error)}: {error}")
    actual, arn = identity["Account"], identity["Arn"]
    if actual != config.account:
        return Result(
            Status.FAIL,
            f"these credentials are for account {actual} ({arn}), but config.account is {config.account}",
            f"set config.account to {actual} in cdk.json (when that is the account to deploy to)\n"
            "or: export AWS_PROFILE=<a profile of the account config.account names>",
        )
    return Result(Status.PASS, f"account {actual} ({arn}); the stack deploys to {config.region}")


def check_bootstrap(context: Context) -> Result:
    """The bootstrap stack exists and is usable. Its version is `cdk deploy`'s to check: it refuses an older one
    than the app needs before changing anything, and names the same fix (`cdk bootstrap`)."""
    where = f"aws://{context.config.account}/{context.config.region}"
    fix = f"npx cdk bootstrap {where}"
    stack = context.stack(BOOTSTRAP_STACK)
    if stack is None:
        message = f"no CDK bootstrap stack ({BOOTSTRAP_STACK}) in {where}: the deploy has no roles or bucket to use"
        return Result(Status.FAIL, message, fix)
    status = stack["StackStatus"]
    if not status.endswith("_COMPLETE") or status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        return Result(
            Status.FAIL,
            f"the CDK bootstrap stack {BOOTSTRAP_STACK} is {status}",
            fix,
            "when it refuses, the stack's events say why: aws cloudformation describe-stack-events "
            f"--region {context.config.region} --stack-name {BOOTSTRAP_STACK}",
        )
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return Result(Status.PASS, f"{BOOTSTRAP_STACK} in {where}: version {outputs.get('BootstrapVersion', 'unknown')}")


def check_application_stack(context: Context) -> Result:
    config = context.config
    name, region = config.stack_name, config.region
    stack = context.stack(name)
    status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
    # REVIEW_IN_PROGRESS: a change set never executed; ROLLBACK_COMPLETE: a failed first create, which cdk deploy
    # deletes. Either way the deploy creates the stack anew.
    if status in ("DELETE_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"):
        found = "does not exist yet" if stack is None else f"is {status}, created anew by the deploy"
        return Result(Status.PASS, f"{name} {found} in {region}: first deploy")
    if status.endswith("_IN_PROGRESS"):
        return Result(
            Status.FAIL,
            f"{name} is {status}: another operation is running",
            f"aws cloudformation describe-stacks --region {region} --stack-name {name} --query 'Stacks[0].StackStatus'",
            "wait until it no longer ends in _IN_PROGRESS, then deploy",
        )
    if status in ("UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return Result(
            Status.FAIL,
            f"{name} is {status}: CloudFormation could not roll an update back",
            f"aws cloudformation continue-update-rollback --region {region} --stack-name {name}",
            "if a resource keeps failing, add `--resources-to-skip LOGICAL_ID` (see describe-stack-events)",
        )
    if status.endswith("_FAILED"):
        return Result(
            Status.FAIL,
            f"{name} is {status}: no deploy can start from it",
            f"aws cloudformation delete-stack --region {region} --stack-name {name}",
            "the stack's events say which resource failed (aws cloudformation describe-stack-events "
            f"--region {region} --stack-name {name}); retained resources, such as the visits table, stay after a "
            "delete",
        )
    return Result(Status.PASS, f"{name} is {status}")


CHECKS: Final = (
    Check("credentials", check_credentials, ("sts:GetCallerIdentity",)),
    Check("CDK bootstrap", check_bootstrap, ("cloudformation:DescribeStacks",)),
    Check("application stack", check_application_stack, ("cloudformation:DescribeStacks",)),
)
