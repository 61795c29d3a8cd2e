"""Checks of the account as a whole: the credentials, the CDK bootstrap, the application stack's state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError

from tools.preflight.core import (
    DENIED_CODES,
    BootstrapRequirement,
    Check,
    Context,
    Finding,
    Outcome,
    Status,
    error_code,
    unless_missing,
)
from tools.preflight.placeholders import PLACEHOLDER_ACCOUNT

BOOTSTRAP_STACK: Final = "CDKToolkit"
"""The name `cdk bootstrap` gives its stack unless told otherwise (--toolkit-stack-name)."""
BOOTSTRAP_VERSION_OUTPUT: Final = "BootstrapVersion"
_BOOTSTRAP_FIX: Final = "npx cdk bootstrap aws://{account}/{region}"

CREDENTIALS_OK = Finding(Status.PASS, "account {actual} ({arn}); the stack deploys to {region}")
CREDENTIALS_OTHER_REGION = Finding(
    Status.WARN,
    "account {actual} ({arn}); your default region is {session_region} but config.region is {region}",
    note="cdk deploy uses config.region; give other aws commands `--region {region}`",
)
NO_CREDENTIALS = Finding(
    Status.FAIL,
    "no usable AWS credentials: {error}",
    "aws configure sso   # or: export AWS_PROFILE=<a profile of account {account}>",
    "`aws sts get-caller-identity` must then show account {account}",
)
NO_CREDENTIALS_NO_ACCOUNT = Finding(
    Status.FAIL,
    "no usable AWS credentials: {error}",
    "aws configure sso   # or: export AWS_PROFILE=<a profile of the account you deploy to>",
    "then set config.account in cdk.json to what `aws sts get-caller-identity --query Account --output text` shows",
)
AWS_UNREACHABLE = Finding(
    Status.FAIL,
    "cannot reach AWS: {error}",
    "check the network (proxy, VPN, firewall) and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS, then run it again",
    "nothing else can be checked without AWS",
)
ACCOUNT_PLACEHOLDER = Finding(
    Status.FAIL,
    "these credentials are for account {actual} ({arn}); config.account is still the placeholder {account}",
    "set config.account to {actual} in cdk.json (when that is the account to deploy to)",
)
WRONG_ACCOUNT = Finding(
    Status.FAIL,
    "these credentials are for account {actual} ({arn}), but config.account is {account}",
    "export AWS_PROFILE=<a profile of account {account}>   # or set config.account to {actual} in cdk.json",
)


def check_credentials(context: Context) -> Outcome:
    config = context.config
    no_credentials = NO_CREDENTIALS_NO_ACCOUNT if config.account == PLACEHOLDER_ACCOUNT else NO_CREDENTIALS
    try:
        identity = context.client("sts").get_caller_identity()
    except NoCredentialsError as error:
        return no_credentials(error=error, account=config.account)
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        return AWS_UNREACHABLE(error=error)
    except ClientError as error:
        if error_code(error) in DENIED_CODES:
            raise
        return no_credentials(error=f"{error_code(error)}: {error}", account=config.account)
    values = {"actual": identity["Account"], "arn": identity["Arn"], "account": config.account, "region": config.region}
    if identity["Account"] != config.account:
        return (ACCOUNT_PLACEHOLDER if config.account == PLACEHOLDER_ACCOUNT else WRONG_ACCOUNT)(**values)
    session_region = context.clients.session_region
    if session_region and session_region != config.region:
        return CREDENTIALS_OTHER_REGION(session_region=session_region, **values)
    return CREDENTIALS_OK(**values)


BOOTSTRAP_OK = Finding(
    Status.PASS, BOOTSTRAP_STACK + " in aws://{account}/{region}: version {found} (this app needs {required})"
)
BOOTSTRAP_MISSING = Finding(
    Status.FAIL,
    "no CDK bootstrap stack ("
    + BOOTSTRAP_STACK
    + ") in aws://{account}/{region}: the deploy has no roles or bucket to use",
    _BOOTSTRAP_FIX,
)
BOOTSTRAP_BROKEN = Finding(
    Status.FAIL,
    "the CDK bootstrap stack " + BOOTSTRAP_STACK + " is {status}",
    _BOOTSTRAP_FIX,
    "when it refuses, the stack's events say why: aws cloudformation describe-stack-events --region {region} "
    "--stack-name " + BOOTSTRAP_STACK,
)
BOOTSTRAP_OLD = Finding(
    Status.FAIL,
    BOOTSTRAP_STACK + " in aws://{account}/{region} is version {found}, but this app needs at least {required}",
    _BOOTSTRAP_FIX,
    "bootstrapping again upgrades the stack in place",
)
BOOTSTRAP_UNREADABLE = Finding(
    Status.FAIL,
    "could not learn the bootstrap version the app needs (synth, or --assembly): {error}",
    "make synth   # shows the error in full",
)


def requirement_from_assembly(assembly: Path) -> BootstrapRequirement:
    """The highest bootstrap version the stacks and asset manifests of a cloud assembly (cdk.out) require, and
    the SSM parameter the deploy reads it from."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found = [
        artifact["properties"]
        for artifact in manifest["artifacts"].values()
        if "requiresBootstrapStackVersion" in artifact.get("properties", {})
    ]
    if not found:
        raise ValueError(f"{assembly}/manifest.json requires no bootstrap version: not a synthesized app?")
    highest = max(found, key=lambda properties: int(properties["requiresBootstrapStackVersion"]))
    return BootstrapRequirement(
        int(highest["requiresBootstrapStackVersion"]), str(highest["bootstrapStackVersionSsmParameter"])
    )


def _deployed_version(context: Context, stack: dict[str, Any], parameter: str) -> int | None:
    """The version the deploy's own CheckBootstrapVersion rule reads (the SSM parameter), else the stack's output."""
    found = unless_missing(
        lambda: context.client("ssm").get_parameter(Name=parameter), *DENIED_CODES, "ParameterNotFound"
    )
    if found is not None:
        return int(found["Parameter"]["Value"])
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return int(outputs[BOOTSTRAP_VERSION_OUTPUT]) if BOOTSTRAP_VERSION_OUTPUT in outputs else None


def check_bootstrap(context: Context) -> Outcome:
    config = context.config
    values = {"account": config.account, "region": config.region}
    stack = context.stack(BOOTSTRAP_STACK)
    if stack is None:
        return BOOTSTRAP_MISSING(**values)
    status = stack["StackStatus"]
    if not status.endswith("_COMPLETE") or status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        return BOOTSTRAP_BROKEN(status=status, **values)
    try:
        requirement = context.bootstrap_requirement()
    except Exception as error:
        return BOOTSTRAP_UNREADABLE(error=f"{type(error).__name__}: {error}")
    found = _deployed_version(context, stack, requirement.ssm_parameter)
    if found is None or found < requirement.version:
        return BOOTSTRAP_OLD(found=found if found is not None else "unknown", required=requirement.version, **values)
    return BOOTSTRAP_OK(found=found, required=requirement.version, **values)


STACK_ABSENT = Finding(Status.PASS, "{stack} does not exist yet in {region}: first deploy")
STACK_READY = Finding(Status.PASS, "{stack} is {status}")
STACK_NEVER_CREATED = Finding(
    Status.WARN,
    "{stack} is {status}: its first create failed",
    "aws cloudformation delete-stack --region {region} --stack-name {stack}   # optional: cdk deploy does it",
    "cdk deploy deletes such a stack and creates it again; resources the failed create retained stay "
    "(the visits table check below says how to adopt a retained table)",
)
STACK_BUSY = Finding(
    Status.FAIL,
    "{stack} is {status}: another operation is running",
    "aws cloudformation describe-stacks --region {region} --stack-name {stack} --query 'Stacks[0].StackStatus'",
    "wait until it no longer ends in _IN_PROGRESS, then deploy",
)
STACK_ROLLBACK_FAILED = Finding(
    Status.FAIL,
    "{stack} is {status}: CloudFormation could not roll an update back",
    "aws cloudformation continue-update-rollback --region {region} --stack-name {stack}",
    "if a resource keeps failing, add `--resources-to-skip LOGICAL_ID` (see describe-stack-events)",
)
STACK_FAILED = Finding(
    Status.FAIL,
    "{stack} is {status}: no deploy can start from it",
    "aws cloudformation delete-stack --region {region} --stack-name {stack}",
    "the stack's events say which resource failed (aws cloudformation describe-stack-events --region {region} "
    "--stack-name {stack}); retained resources, such as the visits table, stay after a delete",
)
_STARTS_FRESH: Final = frozenset({"ROLLBACK_COMPLETE"})
# A change set created but never executed: the stack has no resources and `cdk deploy` treats it as new.
_NEVER_EXECUTED: Final = "REVIEW_IN_PROGRESS"


def check_application_stack(context: Context) -> Outcome:
    config = context.config
    values = {"stack": config.stack_name, "region": config.region}
    stack = context.stack(config.stack_name)
    status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
    if status in ("DELETE_COMPLETE", _NEVER_EXECUTED):
        return STACK_ABSENT(**values)
    if status in _STARTS_FRESH:
        return STACK_NEVER_CREATED(status=status, **values)
    if status.endswith("_IN_PROGRESS"):
        return STACK_BUSY(status=status, **values)
    if status in ("UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return STACK_ROLLBACK_FAILED(status=status, **values)
    if status.endswith("_FAILED"):
        return STACK_FAILED(status=status, **values)
    return STACK_READY(status=status, **values)


CHECKS: Final = (
    Check(
        "credentials",
        "the credentials work (sts get-caller-identity) and are for config.account; the default region",
        check_credentials,
        (
            CREDENTIALS_OK,
            CREDENTIALS_OTHER_REGION,
            NO_CREDENTIALS,
            NO_CREDENTIALS_NO_ACCOUNT,
            AWS_UNREACHABLE,
            ACCOUNT_PLACEHOLDER,
            WRONG_ACCOUNT,
        ),
        ("sts:GetCallerIdentity",),
    ),
    Check(
        "CDK bootstrap",
        f"the {BOOTSTRAP_STACK} stack exists in the account and region, and its version is at least what the "
        "synthesized app requires",
        check_bootstrap,
        (BOOTSTRAP_OK, BOOTSTRAP_MISSING, BOOTSTRAP_BROKEN, BOOTSTRAP_OLD, BOOTSTRAP_UNREADABLE),
        ("cloudformation:DescribeStacks", "ssm:GetParameter"),
    ),
    Check(
        "application stack",
        "the stack named config.stack_name is absent or in a state a deploy can start from",
        check_application_stack,
        (STACK_ABSENT, STACK_READY, STACK_NEVER_CREATED, STACK_BUSY, STACK_ROLLBACK_FAILED, STACK_FAILED),
        ("cloudformation:DescribeStacks",),
    ),
)
